// The size limit: least recently used entries are culled when opening and when writing,
// never one in use; a file larger than the limit is not cached; cull() and clear().
#include "cache_env.hpp"

using namespace cachetest;
using testnetfs::FakeReader;

namespace {

constexpr uint64_t MiB = 1 << 20;

std::vector<Key> keys_of(Cache& c) {
    std::vector<Key> out;
    for (auto& e : c.list()) out.push_back(e.key);
    std::sort(out.begin(), out.end(), [](const Key& a, const Key& b) { return a.file < b.file; });
    return out;
}

void touch(Cache& c, int n, uint64_t size) {
    auto obj = open_object(c, key(n), coh(size));
    REQUIRE(obj->next_present(0));
}

}  // namespace

TEST_CASE("writing past the limit culls the least recently used entries, not the ones in use") {
    testutil::TempDir dir("netcp-cache");
    auto c = open_cache(dir.path(), 3 * MiB);
    const auto content = testutil::random_bytes(MiB, 21);
    fill(*c, key(1), content);
    fill(*c, key(2), content);
    fill(*c, key(3), content);
    touch(*c, 1, MiB);  // 1 is now more recent than 2 and 3
    CHECK(c->stats().cached_bytes == 3 * MiB);
    auto hold3 = open_object(*c, key(3), coh(MiB));  // in use: never culled

    fill(*c, key(4), content);  // needs room: 2 goes (the oldest not in use)
    CHECK(keys_of(*c) == std::vector<Key>{key(1), key(3), key(4)});
    auto s = c->stats();
    CHECK(s.culled_entries == 1);
    CHECK(s.culled_bytes == MiB);
    CHECK(s.cached_bytes <= 3 * MiB);
    CHECK(s.size_limit == 3 * MiB);

    fill(*c, key(5), content);  // 1 goes; 3 is still held
    CHECK(keys_of(*c) == std::vector<Key>{key(3), key(4), key(5)});
    CHECK(c->stats().cached_bytes <= 3 * MiB);
    std::vector<std::byte> back(MiB);
    REQUIRE(!hold3->read(0, back));
    CHECK(back == content);
}

TEST_CASE("opening culls down to a lower limit, and cull() does it on demand") {
    testutil::TempDir dir("netcp-cache");
    const auto content = testutil::random_bytes(MiB, 22);
    {
        auto c = open_cache(dir.path());
        for (int i = 1; i <= 4; ++i) fill(*c, key(i), content);
        touch(*c, 1, MiB);
    }
    {
        auto c = open_cache(dir.path(), 2 * MiB + 1);
        REQUIRE(!c->cull());
        CHECK(keys_of(*c) == std::vector<Key>{key(1), key(4)});  // the two most recent
        CHECK(c->stats().culled_entries == 2);
    }
    {
        auto c = open_cache(dir.path(), MiB);
        auto obj = open_object(*c, key(9), coh(1000));
        CHECK(c->stats().cached_bytes <= MiB);
        CHECK(keys_of(*c) == std::vector<Key>{key(1), key(9)});  // 9 is open (and empty)
    }
}

TEST_CASE("a file known to be larger than the limit is refused, and one that outgrows it stops being cached") {
    testutil::TempDir dir("netcp-cache");
    auto c = open_cache(dir.path(), 2 * MiB);
    const auto small = testutil::random_bytes(MiB, 23);
    fill(*c, key(1), small);
    // Known to be too large when opened: refused, the caller goes without cache.
    auto big = c->open_object(key(2), coh(3 * MiB));
    REQUIRE(!big);
    CHECK(big.error() == std::errc::file_too_large);
    CHECK(keys_of(*c) == std::vector<Key>{key(1)});

    // Growing past the limit while cached (its size was not known): caching stops, the
    // reader is not disturbed, and the entry is dropped. (On its way it may have culled
    // others: nothing told us how large it would grow.)
    const auto large = testutil::random_bytes(3 * MiB, 24);
    auto obj = open_object(*c, key(3), coh(0));
    FakeReader reader(large);
    auto r = read_through(reader, obj.get());
    CHECK(r.data == large);
    CHECK(!r.flush);
    CHECK(!obj->usable());
    CHECK(obj->failure() == "larger than the cache size limit (2097152 bytes)");
    CHECK(!obj->next_present(0));
    obj.reset();
    CHECK(c->stats().cached_bytes <= 2 * MiB);
    for (auto& e : c->list()) CHECK(e.key != key(3));
}

TEST_CASE("clear() removes every entry not in use") {
    testutil::TempDir dir("netcp-cache");
    auto c = open_cache(dir.path());
    const auto content = testutil::random_bytes(256 << 10, 25);
    for (int i = 1; i <= 5; ++i) fill(*c, key(i), content);
    auto held = open_object(*c, key(2), coh(content.size()));
    auto n = c->clear();
    REQUIRE(n);
    CHECK(*n == 4);
    CHECK(keys_of(*c) == std::vector<Key>{key(2)});
    const auto s = c->stats();
    CHECK(s.entries == 1);
    CHECK(s.cached_bytes == content.size());
    held.reset();
    CHECK(*c->clear() == 1);
    CHECK(c->stats().entries == 0);
    CHECK(c->stats().backing_bytes == 0);
}
