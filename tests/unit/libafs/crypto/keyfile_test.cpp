// KeyFile and KeyFileExt parsing, including hostile files.
#include <doctest/doctest.h>

#include "libafs/crypto/keyfile.hpp"
#include "test_bytes.hpp"
#include "test_util.hpp"

using namespace afs::crypto;
using cryptotest::hex;

namespace {

std::vector<std::byte> two_keys() {
    return hex("00000002"
               "00000003 0123456789abcdef"
               "00000007 fedcba9876543210");
}

}  // namespace

TEST_CASE("a KeyFile with two keys") {
    auto kf = KeyFile::parse(two_keys());
    REQUIRE(kf);
    REQUIRE(kf->keys().size() == 2);
    CHECK(kf->find(3)->key == *Key::from_hex("0123456789abcdef"));
    CHECK(kf->find(7)->key == *Key::from_hex("fedcba9876543210"));
    CHECK(kf->find(4) == nullptr);
    CHECK(kf->latest()->kvno == 7);
    CHECK(kf->serialize() == two_keys());
}

TEST_CASE("an empty KeyFile parses and has no latest key") {
    auto kf = KeyFile::parse(hex("00000000"));
    REQUIRE(kf);
    CHECK(kf->empty());
    CHECK(kf->latest() == nullptr);
}

TEST_CASE("the old fixed-size layout (100 bytes, zero-filled) is accepted") {
    auto bytes = two_keys();
    bytes.resize(100, std::byte{0});
    auto kf = KeyFile::parse(bytes);
    REQUIRE(kf);
    CHECK(kf->keys().size() == 2);
}

TEST_CASE("hostile KeyFiles") {
    auto bad = [](std::vector<std::byte> b) {
        auto r = KeyFile::parse(b);
        return !r && r.error() == afs::errc::bad_key_file;
    };
    CHECK(bad({}));
    CHECK(bad(hex("000000")));                                 // count cut short
    CHECK(bad(hex("00000001 00000003 0123456789ab")));         // key cut short
    CHECK(bad(hex("00000001 000000")));                        // kvno cut short
    CHECK(bad(hex("00000003 00000003 0123456789abcdef")));     // count lies
    CHECK(bad(hex("00000009")));                               // more than 8
    CHECK(bad(hex("ffffffff")));                               // negative
    CHECK(bad(hex("7fffffff")));                               // absurd
    CHECK(bad(hex("00000002 00000003 0123456789abcdef 00000003 fedcba9876543210")));  // repeated kvno
    auto trailing = two_keys();
    trailing.push_back(std::byte{0});
    CHECK(bad(trailing));  // extra bytes that are not the old layout
    auto dirty = two_keys();
    dirty.resize(100, std::byte{0});
    dirty[99] = std::byte{1};
    CHECK(bad(dirty));  // old layout, but the unused slots are not empty
    for (uint64_t seed = 1; seed <= 200; ++seed) {
        auto junk = testutil::random_bytes(seed % 120, seed);
        if (auto kf = KeyFile::parse(junk)) CHECK(kf->keys().size() <= max_keyfile_keys);
    }
}

TEST_CASE("KeyFile::from_keys enforces the same rules") {
    CHECK(KeyFile::from_keys({{1, Key{}}, {2, Key{}}}));
    CHECK(!KeyFile::from_keys({{1, Key{}}, {1, Key{}}}));
    CHECK(!KeyFile::from_keys(std::vector<ServerKey>(9)));
}

TEST_CASE("KeyFiles load from disk") {
    testutil::TempDir dir;
    testutil::write_file(dir / "KeyFile", two_keys());
    auto kf = KeyFile::load(dir / "KeyFile");
    REQUIRE(kf);
    CHECK(kf->latest()->kvno == 7);

    CHECK(KeyFile::load(dir / "missing") == afs::fail(std::make_error_code(std::errc::no_such_file_or_directory)));

    std::vector<std::byte> big(4096, std::byte{0});
    testutil::write_file(dir / "big", big);
    CHECK(KeyFile::load(dir / "big") == afs::fail(afs::errc::bad_key_file));
}

TEST_CASE("KeyFileExt records") {
    auto bytes = hex("00000002"
                     "00000010 00000002 00000005 00000012 00000020"
                     "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"
                     "00000014 00000001 00000001 00000000 deadbeef 00000004 cafef00d");
    auto keys = parse_keyfile_ext(bytes);
    REQUIRE(keys);
    REQUIRE(keys->size() == 2);
    CHECK((*keys)[0].type == TypedKey::rxkad_krb5);
    CHECK((*keys)[0].kvno == 5);
    CHECK((*keys)[0].subtype == 18);
    CHECK((*keys)[0].material.size() == 32);
    CHECK((*keys)[1].type == TypedKey::rxgk);
    CHECK(cryptotest::to_hex((*keys)[1].material) == "cafef00d");  // the extra header word was skipped
}

TEST_CASE("hostile KeyFileExt") {
    auto bad = [](std::string_view h) { return !parse_keyfile_ext(hex(h)); };
    CHECK(bad(""));
    CHECK(bad("00000001"));
    CHECK(bad("00000001 0000000c 00000000 00000001 00000000 00000000"));      // header length under 16
    CHECK(bad("00000001 00000010 00000000 00000001 00000000 00000008 0102"));  // material cut short
    CHECK(bad("00000001 00000010 00000000 00000001 00000000 ffffffff"));       // huge material
    CHECK(bad("00000001 ffffffff 00000000 00000001 00000000 00000000"));       // huge header
    CHECK(bad("00100000"));                                                     // absurd count
    CHECK(bad("00000000 00"));                                                  // trailing bytes
    CHECK(parse_keyfile_ext(hex("00000000"))->empty());
}
