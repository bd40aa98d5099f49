// 8-byte keys: rxkad session keys (used with fcrypt) and AFS server keys (DES).
//
// Key material is wiped from memory when a Key is destroyed, so copies can be handed out
// freely without leaving secrets behind in freed memory.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "libafs/error.hpp"

namespace afs::crypto {

inline constexpr size_t key_size = 8;
using Block = std::array<std::byte, 8>;  // one 64-bit cipher block

// Overwrites `bytes` with zeros in a way the compiler may not optimise away.
void wipe(std::span<std::byte> bytes) noexcept;

class Key {
public:
    Key() noexcept = default;  // all zero
    explicit Key(const Block& bytes) noexcept : bytes_(bytes) {}
    // From exactly 8 bytes; errc::bad_value otherwise.
    static result<Key> from_bytes(std::span<const std::byte> bytes);
    // From 16 hex digits ("f0e1d2c3b4a59687"), for configuration and tests.
    static result<Key> from_hex(std::string_view hex);

    Key(const Key&) noexcept = default;
    Key& operator=(const Key&) noexcept = default;
    ~Key();

    const Block& bytes() const noexcept { return bytes_; }
    // Constant-time comparison.
    bool operator==(const Key& other) const noexcept;

private:
    Block bytes_{};
};

// DES odd parity: each byte has an odd number of set bits (the low bit is the parity bit).
bool has_odd_parity(const Key& key) noexcept;
Key with_odd_parity(const Key& key) noexcept;

// One of the 16 DES weak and semi-weak keys (parity bits ignored).
bool is_weak_des_key(const Key& key) noexcept;

// A fresh random session key with odd parity that is not weak, from OpenSSL's CSPRNG.
// Fails only if the CSPRNG does (std::errc::io_error).
result<Key> random_session_key();

}  // namespace afs::crypto
