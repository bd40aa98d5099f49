// Keys: parsing, parity, weak keys, random session keys.
#include <doctest/doctest.h>

#include <set>

#include "libafs/crypto/key.hpp"
#include "test_bytes.hpp"

using namespace afs::crypto;
using cryptotest::to_hex;

TEST_CASE("keys parse from 8 bytes or 16 hex digits, nothing else") {
    auto k = Key::from_hex("F0e1d2c3b4a59687");
    REQUIRE(k);
    CHECK(to_hex(k->bytes()) == "f0e1d2c3b4a59687");
    CHECK(Key::from_hex("f0e1d2c3b4a5968") == afs::fail(afs::errc::bad_value));
    CHECK(Key::from_hex("f0e1d2c3b4a5968g") == afs::fail(afs::errc::bad_value));
    CHECK(Key::from_hex("f0e1d2c3b4a5968700") == afs::fail(afs::errc::bad_value));
    auto b = cryptotest::hex("0102030405060708");
    CHECK(Key::from_bytes(b)->bytes() == Key::from_hex("0102030405060708")->bytes());
    CHECK(!Key::from_bytes(std::span(b).first(7)));
    CHECK(*Key::from_hex("0102030405060708") == *Key::from_bytes(b));
    CHECK(!(*Key::from_hex("0102030405060709") == *Key::from_bytes(b)));
}

TEST_CASE("odd parity is set on the low bit and keeps the key bits") {
    Key k = *Key::from_hex("0000000000000000");
    CHECK(!has_odd_parity(k));
    Key p = with_odd_parity(k);
    CHECK(to_hex(p.bytes()) == "0101010101010101");
    CHECK(has_odd_parity(p));
    Key q = with_odd_parity(*Key::from_hex("fffefdfcfbfaf9f8"));
    CHECK(has_odd_parity(q));
    CHECK(to_hex(q.bytes()) == "fefefdfdfbfbf8f8");
}

TEST_CASE("weak and semi-weak DES keys are recognised with or without parity") {
    CHECK(is_weak_des_key(*Key::from_hex("0101010101010101")));
    CHECK(is_weak_des_key(*Key::from_hex("0000000000000000")));
    CHECK(is_weak_des_key(*Key::from_hex("fefefefefefefefe")));
    CHECK(is_weak_des_key(*Key::from_hex("01fe01fe01fe01fe")));
    CHECK(is_weak_des_key(*Key::from_hex("e0fee0fef1fef1fe")));
    CHECK(!is_weak_des_key(*Key::from_hex("0123456789abcdef")));
}

TEST_CASE("random session keys have odd parity, are not weak, and differ") {
    std::set<std::string> seen;
    for (int i = 0; i < 64; ++i) {
        auto k = random_session_key();
        REQUIRE(k);
        CHECK(has_odd_parity(*k));
        CHECK(!is_weak_des_key(*k));
        seen.insert(to_hex(k->bytes()));
    }
    CHECK(seen.size() == 64);
}

TEST_CASE("wipe zeroes memory") {
    std::array<std::byte, 5> b{std::byte{1}, std::byte{2}, std::byte{3}, std::byte{4}, std::byte{5}};
    wipe(b);
    for (auto x : b) CHECK(x == std::byte{0});
}
