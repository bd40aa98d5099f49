// VL RPCs: requests to the documented bytes, replies decoded from hand-built entries, and
// the volume/server choices made from them.
#include <doctest/doctest.h>

#include "libafs/wire/vl.hpp"
#include "wire_test_util.hpp"

using namespace afs;
using namespace afs::wire;
using namespace afs::wire::vl;
using namespace wire_test;

namespace {

constexpr uint32_t rw_id = 536870912, ro_id = 536870913, bk_id = 536870914;

// A replicated volume: the RW (with a RO clone) on 192.168.0.1, RO copies on .2 and on .3,
// the last one marked "don't use".
Bytes nvldbentry_bytes(uint32_t nservers = 3) {
    return cat({
        char_words("root.cell", 65),
        words({nservers}),
        words({0xC0A80001, 0xC0A80002, 0xC0A80003}), repeat(0, 10),  // serverNumber
        words({0, 1, 25}), repeat(0, 10),                           // serverPartition
        words({VLSF_RWVOL | VLSF_ROVOL, VLSF_ROVOL, VLSF_ROVOL | VLSF_DONTUSE}), repeat(0, 10),
        words({rw_id, ro_id, bk_id}),
        words({0}),                                          // cloneId
        words({VLF_RWEXISTS | VLF_ROEXISTS | VLF_BACKEXISTS}),
        words({0}),                                          // matchindex
        repeat(0, 8),                                        // spares2..9
    });
}

Bytes uuid_words(const afsUUID& u) { return *xdr::encode(u); }

const afsUUID server_uuid = *afsUUID::parse("00112233-4455-6677-8899-aabbccddeeff");

// One multi-homed server (by UUID) holding the RW, one single-homed server holding a RO.
Bytes uvldbentry_bytes() {
    Bytes servers = cat({uuid_words(server_uuid), words({0xC0A80009}), repeat(0, 10)});
    for (int i = 2; i < 13; ++i) servers = cat({servers, repeat(0, 11)});
    return cat({
        char_words("home.alice", 65),
        words({2}),
        servers,
        words({7, 0}), repeat(0, 11),  // serverUnique
        words({0, 2}), repeat(0, 11),  // serverPartition
        words({VLSF_RWVOL | VLSF_UUID, VLSF_ROVOL}), repeat(0, 11),
        words({rw_id, ro_id, 0}),
        words({0}),
        words({VLF_RWEXISTS | VLF_ROEXISTS}),
        words({0}),
        repeat(0, 8),
    });
}

}  // namespace

TEST_CASE("GetEntryByNameN request bytes") {
    auto b = encode_request<GetEntryByNameN>({"root.cell"});
    REQUIRE(b);
    CHECK(*b == raw({0, 0, 0x02, 0x07,  // opcode 519
                     0, 0, 0, 9, 'r', 'o', 'o', 't', '.', 'c', 'e', 'l', 'l', 0, 0, 0}));
    CHECK(*encode_request<GetEntryByNameU>({"root.cell"}) == cat({words({527}), xdr_string("root.cell")}));
    // A name of 65 bytes is the most VL_MAXNAMELEN allows.
    CHECK(encode_request<GetEntryByNameN>({std::string(65, 'v')}));
    CHECK(encode_request<GetEntryByNameN>({std::string(66, 'v')}).error() == errc::too_large);
    CHECK(*decode_request<GetEntryByNameN>(*b) == GetEntryByNameN::Request{"root.cell"});
}

TEST_CASE("GetAddrsU request bytes") {
    auto b = encode_request<GetAddrsU>({ListAddrByAttributes::by_uuid(server_uuid)});
    REQUIRE(b);
    CHECK(*b == cat({words({533, VLADDR_UUID, 0, 0, 0}), uuid_words(server_uuid)}));
    CHECK(b->size() == 4 + ListAddrByAttributes::wire_size);
}

TEST_CASE("an nvldbentry reply") {
    const Bytes b = nvldbentry_bytes();
    REQUIRE(b.size() == nvldbentry::wire_size);
    auto reply = decode_reply<GetEntryByNameN>(b);
    REQUIRE(reply);
    const nvldbentry& e = reply->entry;
    CHECK(e.name == "root.cell");
    CHECK(e.nservers == 3);
    CHECK(e.server_number[1] == 0xC0A80002);
    CHECK(e.server_partition[2] == 25);
    CHECK(e.volume_id == std::array<uint32_t, 3>{rw_id, ro_id, bk_id});
    CHECK(*encode_reply<GetEntryByNameN>(*reply) == b);

    const VolumeLocation loc = to_location(e);
    CHECK(loc.name == "root.cell");
    REQUIRE(loc.sites.size() == 3);
    CHECK(!loc.sites[0].uuid);
    CHECK(loc.sites[0].ipv4 == 0xC0A80001);
    CHECK(loc.id(VolumeType::ro) == ro_id);
    CHECK(loc.exists(VolumeType::ro));
    CHECK(loc.exists(VolumeType::backup));
    CHECK(loc.type_of(bk_id) == VolumeType::backup);
    CHECK(!loc.type_of(12345));
    CHECK(!loc.type_of(0));

    const auto ro = loc.sites_for(VolumeType::ro);
    REQUIRE(ro.size() == 2);  // the "don't use" site is left out
    CHECK(ro[0].ipv4 == 0xC0A80001);
    CHECK(ro[1].ipv4 == 0xC0A80002);
    const auto rw = loc.sites_for(VolumeType::rw);
    REQUIRE(rw.size() == 1);
    CHECK(rw[0].ipv4 == 0xC0A80001);
    // The backup clone lives with the RW.
    CHECK(loc.sites_for(VolumeType::backup) == rw);
    CHECK(partition_name(loc.sites[2].partition) == "/vicepz");
}

TEST_CASE("a uvldbentry reply: UUID servers and address servers") {
    const Bytes b = uvldbentry_bytes();
    REQUIRE(b.size() == uvldbentry::wire_size);
    auto reply = decode_reply<GetEntryByNameU>(b);
    REQUIRE(reply);
    CHECK(reply->entry.name == "home.alice");
    CHECK(*encode_reply<GetEntryByNameU>(*reply) == b);

    const VolumeLocation loc = to_location(reply->entry);
    REQUIRE(loc.sites.size() == 2);
    CHECK(loc.sites[0].uuid == server_uuid);
    CHECK(loc.sites[0].unique == 7);
    CHECK(loc.sites[1].ipv4 == 0xC0A80009);
    CHECK(!loc.sites[1].uuid);
    CHECK(loc.sites_for(VolumeType::rw).size() == 1);
    CHECK(loc.sites_for(VolumeType::ro)[0].ipv4 == 0xC0A80009);
    CHECK(!loc.exists(VolumeType::backup));
}

TEST_CASE("a GetAddrsU reply") {
    const Bytes b = cat({uuid_words(server_uuid), words({3, 2, 2, 0x0A000001, 0xC0A80001})});
    auto reply = decode_reply<GetAddrsU>(b);
    REQUIRE(reply);
    CHECK(reply->uuid == server_uuid);
    CHECK(reply->uniquifier == 3);
    CHECK(reply->addrs == std::vector<uint32_t>{0x0A000001, 0xC0A80001});
    CHECK(*encode_reply<GetAddrsU>(*reply) == b);
}

TEST_CASE("VL replies that lie") {
    SUBCASE("more servers than an entry holds") {
        CHECK(decode_reply<GetEntryByNameN>(nvldbentry_bytes(14)).error() == errc::too_large);
        CHECK(decode_reply<GetEntryByNameN>(nvldbentry_bytes(0xFFFFFFFF)).error() == errc::bad_value);
        CHECK(decode_reply<GetEntryByNameN>(nvldbentry_bytes(13)));
        nvldbentry e;
        e.nservers = 14;
        CHECK(encode_reply<GetEntryByNameN>({e}).error() == errc::too_large);
    }
    SUBCASE("a name word that is no char") {
        Bytes b = nvldbentry_bytes();
        b[4 * 3 + 1] = std::byte{1};  // the 4th char becomes 0x0001xx
        CHECK(decode_reply<GetEntryByNameN>(b).error() == errc::bad_value);
    }
    SUBCASE("an address count over 500, or over what follows") {
        CHECK(decode_reply<GetAddrsU>(cat({uuid_words(server_uuid), words({3, 501, 501}), repeat(1, 501)})).error() ==
              errc::too_large);
        CHECK(decode_reply<GetAddrsU>(cat({uuid_words(server_uuid), words({3, 500, 500}), repeat(1, 500)})));
        CHECK(decode_reply<GetAddrsU>(cat({uuid_words(server_uuid), words({3, 3, 3, 1, 2})})).error() ==
              errc::truncated);
    }
    SUBCASE("bytes after the entry") {
        CHECK(decode_reply<GetEntryByNameN>(cat({nvldbentry_bytes(), words({0})})).error() == errc::trailing_bytes);
    }
    SUBCASE("cut short anywhere") {
        const Bytes b = uvldbentry_bytes();
        for (size_t n = 0; n < b.size(); n += 1) CHECK(!decode_reply<GetEntryByNameU>(prefix(b, n)));
    }
}

TEST_CASE("sites and partitions") {
    VolumeSite s;
    s.flags = VLSF_RWVOL;
    CHECK(s.holds(VolumeType::rw));
    CHECK(s.holds(VolumeType::backup));
    CHECK(!s.holds(VolumeType::ro));
    s.flags |= VLSF_DONTUSE;
    CHECK(!s.holds(VolumeType::rw));
    CHECK(partition_name(0) == "/vicepa");
    CHECK(partition_name(26) == "/vicepaa");
    CHECK(partition_name(255) == "/vicepiv");
    CHECK(partition_name(-1) == "/vicep?");
    CHECK(partition_name(26 * 27) == "/vicep?");
    // Hand-built entries with a lying count are clamped, not trusted.
    nvldbentry e;
    e.nservers = 99;
    CHECK(to_location(e).sites.size() == max_servers);
}
