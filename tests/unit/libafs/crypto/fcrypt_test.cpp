// fcrypt and its PCBC mode against the published vectors, plus algebraic properties.
#include <doctest/doctest.h>

#include <cstring>

#include "libafs/crypto/fcrypt.hpp"
#include "test_bytes.hpp"
#include "test_util.hpp"

using namespace afs::crypto;
using cryptotest::hex;
using cryptotest::to_hex;

namespace {

Key key_of(std::string_view h) { return *Key::from_hex(h); }

Block block_of(std::string_view h) {
    auto v = hex(h);
    REQUIRE(v.size() == 8);
    Block b;
    std::memcpy(b.data(), v.data(), 8);
    return b;
}

// 45 characters and three NULs: the plaintext of OpenAFS's fc_test.
std::vector<std::byte> the_quick() {
    static const char text[] = "The quick brown fox jumps over the lazy dogs.";  // 45 characters
    std::vector<std::byte> v(48, std::byte{0});
    std::memcpy(v.data(), text, sizeof text - 1);
    return v;
}

}  // namespace

TEST_CASE("fcrypt PCBC reproduces the first OpenAFS vector (key f0e1.., IV fedc..)") {
    Fcrypt f(key_of("f0e1d2c3b4a59687"));
    auto data = the_quick();
    Block iv = block_of("fedcba9876543210");
    f.pcbc_encrypt(data, iv);
    CHECK(to_hex(data) ==
          "00f00e1175e62382eeac98624451e484c359d8aa6460aef7d2d9137972a3450323b562d70cf527d1f8913cac442292ef");
    Block iv2 = block_of("fedcba9876543210");
    f.pcbc_decrypt(data, iv2);
    CHECK(data == the_quick());
}

TEST_CASE("fcrypt PCBC reproduces the second OpenAFS vector (key fedc.., IV f0e1..)") {
    Fcrypt f(key_of("fedcba9876543210"));
    auto data = the_quick();
    f.pcbc_encrypt(data, key_of("f0e1d2c3b4a59687"));
    CHECK(to_hex(data) ==
          "ca90f59dcbd4d23c01887f3e316e629dd8e057a3063a42582a28fe72522fdde01989091c2a8e8c94fcc768e488aade0f");
    f.pcbc_decrypt(data, key_of("f0e1d2c3b4a59687"));
    CHECK(data == the_quick());
}

TEST_CASE("fcrypt single-block ECB vectors") {
    // Published single-block vectors (openafs-devel, December 2000).
    struct Vector {
        const char* key;
        const char* plain;
        const char* cipher;
    };
    for (auto v : {Vector{"0000000000000000", "0000000000000000", "0e0900c73ef7ed41"},
                   Vector{"114477aadd003366", "123456789abcdef0", "d8ed787477ec0680"}}) {
        CAPTURE(v.key);
        Fcrypt f(key_of(v.key));
        Block b = block_of(v.plain);
        f.encrypt_block(b);
        CHECK(to_hex(b) == v.cipher);
        f.decrypt_block(b);
        CHECK(to_hex(b) == v.plain);
    }
}

TEST_CASE("one PCBC block with a zero IV is ECB, and the word API matches the byte API") {
    Fcrypt f(key_of("0123456789abcdef"));
    Block ecb = block_of("a1b2c3d4e5f60718");
    f.encrypt_block(ecb);
    auto pcbc = hex("a1b2c3d4e5f60718");
    Block zero{};
    f.pcbc_encrypt(pcbc, zero);
    CHECK(to_hex(pcbc) == to_hex(ecb));
    uint32_t l = 0xa1b2c3d4, r = 0xe5f60718;
    f.encrypt(l, r);
    CHECK(((uint32_t(std::to_integer<uint8_t>(ecb[0])) << 24) | (uint32_t(std::to_integer<uint8_t>(ecb[1])) << 16) |
           (uint32_t(std::to_integer<uint8_t>(ecb[2])) << 8) | std::to_integer<uint8_t>(ecb[3])) == l);
    f.decrypt(l, r);
    CHECK(l == 0xa1b2c3d4);
    CHECK(r == 0xe5f60718);
}

TEST_CASE("the parity bits of the key do not matter") {
    Fcrypt a(key_of("f0e1d2c3b4a59687"));
    Fcrypt b(key_of("f1e0d3c2b5a49786"));  // every low bit flipped
    Block x = block_of("0011223344556677"), y = x;
    a.encrypt_block(x);
    b.encrypt_block(y);
    CHECK(x == y);
}

TEST_CASE("PCBC: decrypt inverts encrypt for random keys, IVs and lengths, IV chains across pieces") {
    for (uint64_t seed = 1; seed <= 50; ++seed) {
        auto material = testutil::random_bytes(16 + 8 * seed, seed);
        Key key = *Key::from_bytes(std::span(material).first(8));
        Block iv;
        std::memcpy(iv.data(), material.data() + 8, 8);
        std::vector<std::byte> plain(material.begin() + 16, material.end());
        Fcrypt f(key);

        auto whole = plain;
        Block iv_whole = iv;
        f.pcbc_encrypt(whole, iv_whole);
        CHECK(whole != plain);

        // The same message in two pieces gives the same ciphertext when the IV is carried.
        auto pieces = plain;
        Block iv_pieces = iv;
        size_t cut = 8 * (seed / 2);
        f.pcbc_encrypt(std::span(pieces).first(cut), iv_pieces);
        f.pcbc_encrypt(std::span(pieces).subspan(cut), iv_pieces);
        CHECK(pieces == whole);
        CHECK(iv_pieces == iv_whole);

        Block iv_back = iv;
        f.pcbc_decrypt(whole, iv_back);
        CHECK(whole == plain);
    }
}

TEST_CASE("PCBC propagates an error in one ciphertext block to every later block") {
    Fcrypt f(key_of("f0e1d2c3b4a59687"));
    auto data = the_quick();
    f.pcbc_encrypt(data, key_of("fedcba9876543210"));
    data[9] ^= std::byte{0x01};  // second block
    f.pcbc_decrypt(data, key_of("fedcba9876543210"));
    auto plain = the_quick();
    CHECK(std::equal(data.begin(), data.begin() + 8, plain.begin()));
    for (size_t blk = 1; blk < 6; ++blk)
        CHECK(!std::equal(data.begin() + 8 * blk, data.begin() + 8 * blk + 8, plain.begin() + 8 * blk));
}

TEST_CASE("a trailing partial block is left untouched") {
    Fcrypt f(key_of("f0e1d2c3b4a59687"));
    auto data = hex("00112233445566778899aabb");
    f.pcbc_encrypt(data, Key{});
    CHECK(to_hex(std::span(data).subspan(8)) == "8899aabb");
    CHECK(to_hex(std::span(data).first(8)) != "0011223344556677");
}
