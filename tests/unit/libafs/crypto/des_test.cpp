// DES and DES-PCBC (ticket encryption) from OpenSSL's low-level API.
#include <doctest/doctest.h>

#include <cstring>

#include "libafs/crypto/des.hpp"
#include "libafs/crypto/fcrypt.hpp"
#include "test_bytes.hpp"
#include "test_util.hpp"

using namespace afs::crypto;
using cryptotest::hex;
using cryptotest::to_hex;

TEST_CASE("DES known answers (the classic textbook and FIPS 81 examples)") {
    auto block = hex("0123456789abcdef");
    des_ecb_encrypt(std::span<std::byte, 8>(block.data(), 8), *Key::from_hex("133457799bbcdff1"));
    CHECK(to_hex(block) == "85e813540f0ab405");

    auto now_is = cryptotest::bytes_of("Now is t");
    des_ecb_encrypt(std::span<std::byte, 8>(now_is.data(), 8), *Key::from_hex("0123456789abcdef"));
    CHECK(to_hex(now_is) == "3fa40e8a984d4815");
}

TEST_CASE("DES-PCBC is PCBC over DES-ECB and inverts") {
    Key key = *Key::from_hex("0123456789abcdef");
    Key iv = *Key::from_hex("1234567890abcdef");
    auto plain = testutil::random_bytes(64, 7);

    // Build PCBC by hand from single-block DES.
    auto expected = plain;
    Block chain = iv.bytes();
    for (size_t off = 0; off < expected.size(); off += 8) {
        Block p;
        std::memcpy(p.data(), expected.data() + off, 8);
        Block x;
        for (size_t i = 0; i < 8; ++i) x[i] = p[i] ^ chain[i];
        des_ecb_encrypt(x, key);
        std::memcpy(expected.data() + off, x.data(), 8);
        for (size_t i = 0; i < 8; ++i) chain[i] = p[i] ^ x[i];
    }

    auto data = plain;
    REQUIRE(!des_pcbc_encrypt(data, key, iv));
    CHECK(data == expected);
    REQUIRE(!des_pcbc_decrypt(data, key, iv));
    CHECK(data == plain);
}

TEST_CASE("DES-PCBC refuses partial blocks and leaves the data alone") {
    auto data = hex("00112233445566778899");
    auto copy = data;
    CHECK(des_pcbc_encrypt(data, Key{}, Key{}) == afs::errc::bad_value);
    CHECK(data == copy);
    std::vector<std::byte> empty;
    CHECK(!des_pcbc_decrypt(empty, Key{}, Key{}));
}

TEST_CASE("DES and fcrypt are different ciphers") {
    Key key = *Key::from_hex("0123456789abcdef");
    auto a = hex("0011223344556677"), b = a;
    des_ecb_encrypt(std::span<std::byte, 8>(a.data(), 8), key);
    Fcrypt(key).encrypt_block(std::span<std::byte, 8>(b.data(), 8));
    CHECK(a != b);
}
