// The pieces with no I/O: the extent map, the metadata record's encoding, key hashing.
#include <doctest/doctest.h>

#include "netfs/cache/extent_map.hpp"
#include "layout.hpp"
#include "record.hpp"

using namespace netfs::cache;

TEST_CASE("extent map: additions merge when they touch or overlap") {
    ExtentMap m;
    m.add(100, 50);   // [100,150)
    m.add(300, 100);  // [300,400)
    m.add(150, 10);   // touches: [100,160)
    CHECK(m.to_vector().size() == 2);
    CHECK(m.bytes() == 60 + 100);
    m.add(50, 300);   // swallows both: [50,400)
    REQUIRE(m.to_vector().size() == 1);
    CHECK(m.next_present(0)->pos == 50);
    CHECK(m.next_present(0)->len == 350);
    CHECK(m.bytes() == 350);
    CHECK(m.prefix() == 0);  // nothing from byte 0

    ExtentMap g = ExtentMap::from({{1000, 10}, {0, 10}, {5, 10}, {2000, 1}});
    CHECK(g.to_vector().size() == 3);
    CHECK(g.bytes() == 15 + 10 + 1);
    // next_present: the extent containing pos, else the next one.
    CHECK(g.next_present(7)->pos == 0);
    CHECK(g.next_present(15)->pos == 1000);
    CHECK(g.next_present(1010)->pos == 2000);
    CHECK(!g.next_present(2001));
    CHECK(g.covers(0, 15));
    CHECK(!g.covers(0, 16));
    CHECK(g.covers(1003, 0));
    CHECK(g.missing(0, 2001) == 2001 - 26);
    CHECK(g.missing(3000, 10) == 10);
    CHECK(g.prefix() == 15);  // [0, 15), then a gap
}

TEST_CASE("record: round trip, and every damaged form is rejected") {
    Record r;
    r.key = {"host:564", std::string("a\0b", 3), "7f"};
    r.coherency = {123, 456, 789};
    r.extents = {{0, 4096}, {1 << 20, 65536}};
    r.last_used_ns = 1'700'000'000'123'456'789;
    r.in_use = true;
    const auto bytes = encode(r);
    auto back = decode(bytes);
    REQUIRE(back);
    CHECK(back->key == r.key);
    CHECK(back->coherency == r.coherency);
    CHECK(back->extents.size() == 2);
    CHECK(back->extents[1].pos == 1 << 20);
    CHECK(back->last_used_ns == r.last_used_ns);
    CHECK(back->in_use);

    CHECK(!decode({}));
    for (size_t n = 0; n < bytes.size(); ++n) CHECK_MESSAGE(!decode(std::span(bytes).first(n)), "truncated to " << n);
    for (size_t i = 0; i < bytes.size(); ++i) {
        auto flipped = bytes;
        flipped[i] ^= std::byte{0x10};
        CHECK_MESSAGE(!decode(flipped), "bit flipped in byte " << i);
    }
    const std::vector<std::byte> zeros(bytes.size());
    CHECK(!decode(zeros));  // what a crash may leave of an unsynced record
}

TEST_CASE("key hashing: the parts are kept apart, names are stable hex") {
    const auto h = Layout::hash({"ab", "c", "d"});
    CHECK(h.size() == 64);
    CHECK(h != Layout::hash({"a", "bc", "d"}));
    CHECK(h != Layout::hash({"ab", "", "cd"}));
    CHECK(h == Layout::hash({"ab", "c", "d"}));
    Layout l("/var/cache/netcp/");
    const auto p = l.entry(h);
    CHECK(p.data == "/var/cache/netcp/v1/" + h.substr(0, 2) + "/" + h + ".data");
    CHECK(p.meta == "/var/cache/netcp/v1/" + h.substr(0, 2) + "/" + h + ".meta");
    CHECK(p.temp() != p.temp());
}
