#include "libafs/crypto/key.hpp"

#include <bit>

#include <openssl/crypto.h>
#include <openssl/rand.h>

namespace afs::crypto {
namespace {

int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

// The DES weak and semi-weak keys (FIPS 74), with odd parity set.
constexpr std::array<std::array<uint8_t, 8>, 16> weak_keys{{
    {0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01}, {0xfe, 0xfe, 0xfe, 0xfe, 0xfe, 0xfe, 0xfe, 0xfe},
    {0x1f, 0x1f, 0x1f, 0x1f, 0x0e, 0x0e, 0x0e, 0x0e}, {0xe0, 0xe0, 0xe0, 0xe0, 0xf1, 0xf1, 0xf1, 0xf1},
    {0x01, 0xfe, 0x01, 0xfe, 0x01, 0xfe, 0x01, 0xfe}, {0xfe, 0x01, 0xfe, 0x01, 0xfe, 0x01, 0xfe, 0x01},
    {0x1f, 0xe0, 0x1f, 0xe0, 0x0e, 0xf1, 0x0e, 0xf1}, {0xe0, 0x1f, 0xe0, 0x1f, 0xf1, 0x0e, 0xf1, 0x0e},
    {0x01, 0xe0, 0x01, 0xe0, 0x01, 0xf1, 0x01, 0xf1}, {0xe0, 0x01, 0xe0, 0x01, 0xf1, 0x01, 0xf1, 0x01},
    {0x1f, 0xfe, 0x1f, 0xfe, 0x0e, 0xfe, 0x0e, 0xfe}, {0xfe, 0x1f, 0xfe, 0x1f, 0xfe, 0x0e, 0xfe, 0x0e},
    {0x01, 0x1f, 0x01, 0x1f, 0x01, 0x0e, 0x01, 0x0e}, {0x1f, 0x01, 0x1f, 0x01, 0x0e, 0x01, 0x0e, 0x01},
    {0xe0, 0xfe, 0xe0, 0xfe, 0xf1, 0xfe, 0xf1, 0xfe}, {0xfe, 0xe0, 0xfe, 0xe0, 0xfe, 0xf1, 0xfe, 0xf1},
}};

}  // namespace

void wipe(std::span<std::byte> bytes) noexcept {
    if (!bytes.empty()) OPENSSL_cleanse(bytes.data(), bytes.size());
}

Key::~Key() { wipe(bytes_); }

result<Key> Key::from_bytes(std::span<const std::byte> bytes) {
    if (bytes.size() != key_size) return fail(errc::bad_value);
    Block b;
    std::copy(bytes.begin(), bytes.end(), b.begin());
    Key k(b);
    wipe(b);
    return k;
}

result<Key> Key::from_hex(std::string_view hex) {
    if (hex.size() != 2 * key_size) return fail(errc::bad_value);
    Block b;
    for (size_t i = 0; i < key_size; ++i) {
        int hi = hex_value(hex[2 * i]), lo = hex_value(hex[2 * i + 1]);
        if (hi < 0 || lo < 0) return fail(errc::bad_value);
        b[i] = std::byte(static_cast<uint8_t>(hi << 4 | lo));
    }
    Key k(b);
    wipe(b);
    return k;
}

bool Key::operator==(const Key& other) const noexcept {
    return CRYPTO_memcmp(bytes_.data(), other.bytes_.data(), key_size) == 0;
}

bool has_odd_parity(const Key& key) noexcept {
    for (auto b : key.bytes())
        if (std::popcount(std::to_integer<uint8_t>(b)) % 2 == 0) return false;
    return true;
}

Key with_odd_parity(const Key& key) noexcept {
    Block b = key.bytes();
    for (auto& byte : b) {
        auto v = std::to_integer<uint8_t>(byte);
        // Keep the 7 key bits, choose the low bit so the byte has odd weight.
        uint8_t high = v & 0xfe;
        byte = std::byte(static_cast<uint8_t>(high | (std::popcount(high) % 2 == 0 ? 1 : 0)));
    }
    Key k(b);
    wipe(b);
    return k;
}

bool is_weak_des_key(const Key& key) noexcept {
    Key normalised = with_odd_parity(key);
    for (const auto& weak : weak_keys) {
        bool same = true;
        for (size_t i = 0; i < key_size; ++i) same = same && std::to_integer<uint8_t>(normalised.bytes()[i]) == weak[i];
        if (same) return true;
    }
    return false;
}

result<Key> random_session_key() {
    for (;;) {
        Block b;
        if (RAND_bytes(reinterpret_cast<unsigned char*>(b.data()), static_cast<int>(b.size())) != 1)
            return fail(std::make_error_code(std::errc::io_error));
        Key k = with_odd_parity(Key(b));
        wipe(b);
        if (!is_weak_des_key(k)) return k;
    }
}

}  // namespace afs::crypto
