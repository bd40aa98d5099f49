// The shared AFS structures: field order and sizes as documented, and their helpers.
#include <doctest/doctest.h>

#include <unordered_set>

#include "libafs/wire/types.hpp"
#include "wire_test_util.hpp"

using namespace afs;
using namespace afs::wire;
using namespace wire_test;

TEST_CASE("AFSFetchStatus: 21 words in the documented order") {
    // Word k holds k: decoding shows which field each wire position lands in.
    Bytes b;
    for (uint32_t k = 1; k <= 21; ++k) b = cat({b, words({k})});
    auto s = xdr::decode<AFSFetchStatus>(b);
    REQUIRE(s);
    CHECK(s->interface_version == 1);
    CHECK(s->file_type == 2);
    CHECK(s->link_count == 3);
    CHECK(s->length_lo == 4);
    CHECK(s->data_version_lo == 5);
    CHECK(s->author == 6);
    CHECK(s->owner == 7);
    CHECK(s->caller_access == 8);
    CHECK(s->anonymous_access == 9);
    CHECK(s->unix_mode_bits == 10);
    CHECK(s->parent_vnode == 11);
    CHECK(s->parent_unique == 12);
    CHECK(s->residency_mask == 13);
    CHECK(s->client_mod_time == 14);
    CHECK(s->server_mod_time == 15);
    CHECK(s->group == 16);
    CHECK(s->sync_counter == 17);
    CHECK(s->data_version_hi == 18);
    CHECK(s->lock_count == 19);
    CHECK(s->length_hi == 20);
    CHECK(s->error_code == 21);
    CHECK(s->length() == (uint64_t{20} << 32 | 4));
    CHECK(s->data_version() == (uint64_t{18} << 32 | 5));
    CHECK(*xdr::encode(*s) == b);
    CHECK(b.size() == AFSFetchStatus::wire_size);
}

TEST_CASE("AFSFetchStatus helpers") {
    AFSFetchStatus s;
    s.set_length(0x123456789ull);
    CHECK(s.length_hi == 1);
    CHECK(s.length_lo == 0x23456789);
    CHECK(s.length() == 0x123456789ull);
    s.set_data_version(0xFFFFFFFF00000001ull);
    CHECK(s.data_version_hi == 0xFFFFFFFF);
    CHECK(s.data_version_lo == 1);
    s.file_type = file_type::directory;
    CHECK(s.is_directory());
    CHECK(!s.is_file());
    CHECK(!s.error());
    s.error_code = 13;
    CHECK(s.error() == std::errc::permission_denied);
    s.error_code = static_cast<uint32_t>(abort_code::VNOVNODE);
    CHECK(s.error() == abort_error(abort_code::VNOVNODE));
}

TEST_CASE("small structs have their documented sizes") {
    CHECK(xdr::encode(AFSFid{})->size() == 12);
    CHECK(xdr::encode(AFSStoreStatus{})->size() == 24);
    CHECK(xdr::encode(AFSCallBack{})->size() == 12);
    CHECK(xdr::encode(AFSVolSync{})->size() == 24);
    CHECK(xdr::encode(afsUUID{})->size() == 44);
    CHECK(xdr::encode(interfaceAddr{})->size() == 432);
    CHECK(xdr::encode(AFSFetchVolumeStatus{})->size() == 48);
    CHECK(*xdr::encode(AFSFid{1, 2, 3}) == words({1, 2, 3}));
    CHECK(*xdr::encode(AFSStoreStatus{store_mask::set_mode | store_mask::set_mod_time, 1700000000, 0, 0, 0644, 0}) ==
          words({9, 1700000000, 0, 0, 0644, 0}));
    CHECK(*xdr::encode(AFSCallBack{1, 7200, callback_type::shared}) == words({1, 7200, 2}));
}

TEST_CASE("afsUUID: 11 words, chars sign-extended, text form") {
    auto u = afsUUID::parse("5f0ab6e2-1c3d-4e5f-a1b2-c3d4e5f60718");
    REQUIRE(u);
    CHECK(u->time_low == 0x5f0ab6e2);
    CHECK(u->time_mid == 0x1c3d);
    CHECK(u->time_hi_and_version == 0x4e5f);
    CHECK(u->clock_seq_hi_and_reserved == 0xa1);
    CHECK(u->clock_seq_low == 0xb2);
    CHECK(u->node == std::array<uint8_t, 6>{0xc3, 0xd4, 0xe5, 0xf6, 0x07, 0x18});
    CHECK(u->to_string() == "5f0ab6e2-1c3d-4e5f-a1b2-c3d4e5f60718");
    CHECK(*xdr::encode(*u) == words({0x5f0ab6e2, 0x1c3d, 0x4e5f, 0xFFFFFFA1, 0xFFFFFFB2, 0xFFFFFFC3, 0xFFFFFFD4,
                                     0xFFFFFFE5, 0xFFFFFFF6, 0x07, 0x18}));
    // A peer that zero-extends its chars sends the same UUID.
    CHECK(*xdr::decode<afsUUID>(words({0x5f0ab6e2, 0x1c3d, 0x4e5f, 0xA1, 0xB2, 0xC3, 0xD4, 0xE5, 0xF6, 0x07, 0x18})) ==
          *u);
    CHECK(!afsUUID::parse("5f0ab6e2-1c3d-4e5f-a1b2-c3d4e5f6071"));
    CHECK(!afsUUID::parse("5f0ab6e2x1c3d-4e5f-a1b2-c3d4e5f60718"));
    CHECK(!afsUUID::parse("5f0ab6e2-1c3d-4e5f-a1b2-c3d4e5f6071g"));
    CHECK(afsUUID{}.is_nil());
    CHECK(!u->is_nil());
}

TEST_CASE("random UUIDs carry version 4 and the RFC 4122 variant") {
    std::array<uint8_t, 16> r{};
    r.fill(0xFF);
    const afsUUID u = afsUUID::from_random_bytes(r);
    CHECK((u.time_hi_and_version >> 12) == 4);
    CHECK((u.clock_seq_hi_and_reserved & 0xC0) == 0x80);
    CHECK(u.node == std::array<uint8_t, 6>{0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF});
    CHECK(afsUUID::parse(u.to_string()) == u);
}

TEST_CASE("interfaceAddr: every slot sent, interface count bounded") {
    const Interface ifs[] = {{0x0A000001, 0xFF000000, 1500}, {0xC0A80102, 0xFFFFFF00, 9000}};
    auto a = make_interface_addr(afsUUID{}, ifs);
    REQUIRE(a);
    auto b = xdr::encode(*a);
    REQUIRE(b);
    REQUIRE(b->size() == 432);
    CHECK(prefix(*b, 4) == words({2}));
    // addr_in starts after the count and the UUID; subnet masks 32 words later.
    CHECK(Bytes(b->begin() + 48, b->begin() + 56) == words({0x0A000001, 0xC0A80102}));
    CHECK(Bytes(b->begin() + 56, b->begin() + 176) == repeat(0, 30));
    CHECK(Bytes(b->begin() + 176, b->begin() + 184) == words({0xFF000000, 0xFFFFFF00}));
    CHECK(Bytes(b->begin() + 304, b->begin() + 312) == words({1500, 9000}));
    CHECK(*xdr::decode<interfaceAddr>(*b) == *a);

    std::vector<Interface> too_many(33);
    CHECK(make_interface_addr(afsUUID{}, too_many).error() == errc::too_large);
    auto lying = *b;
    lying[3] = std::byte{33};
    CHECK(xdr::decode<interfaceAddr>(lying).error() == errc::too_large);
    lying[0] = std::byte{0x80};
    CHECK(xdr::decode<interfaceAddr>(lying).error() == errc::bad_value);
}

TEST_CASE("capabilities and fids") {
    CHECK(has_capability({capability::viced_errortrans | capability::viced_64bitfiles}, capability::viced_64bitfiles));
    CHECK(!has_capability({capability::viced_errortrans}, capability::viced_64bitfiles));
    CHECK(!has_capability({}, capability::viced_errortrans));
    CHECK(AFSFid::root_of(536870912) == AFSFid{536870912, 1, 1});
    CHECK(AFSFid{5, 0, 0}.is_whole_volume());
    CHECK(!AFSFid{5, 1, 1}.is_whole_volume());
    std::unordered_set<AFSFid> set{{1, 2, 3}, {1, 2, 3}, {1, 3, 2}};
    CHECK(set.size() == 2);
    CHECK(AFSFid{1, 2, 3} < AFSFid{1, 3, 0});
}
