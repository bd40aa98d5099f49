// fcrypt, the 64-bit block cipher of rxkad (a 16-round Feistel cipher with a 56-bit key),
// and the chaining mode rxkad calls "CBC" but which is really PCBC:
//     encrypt: C[i] = E(P[i] ^ V[i]),  decrypt: P[i] = D(C[i]) ^ V[i],  V[i+1] = P[i] ^ C[i],
// with V[0] = the IV. fcrypt is not in OpenSSL; this is an implementation of its published
// description (key schedule, S-box round function, Feistel order).
//
// An Fcrypt object is a key schedule: immutable after construction, so one object may be
// used from several threads at once. The schedule is wiped when the object is destroyed.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

#include "libafs/crypto/key.hpp"

namespace afs::crypto {

class Fcrypt {
public:
    explicit Fcrypt(const Key& key) noexcept;
    Fcrypt(const Fcrypt&) noexcept = default;
    Fcrypt& operator=(const Fcrypt&) noexcept = default;
    ~Fcrypt();

    // One block as two big-endian words (left = bytes 0..3, right = bytes 4..7).
    void encrypt(uint32_t& left, uint32_t& right) const noexcept;
    void decrypt(uint32_t& left, uint32_t& right) const noexcept;

    // One block in place (ECB).
    void encrypt_block(std::span<std::byte, 8> block) const noexcept;
    void decrypt_block(std::span<std::byte, 8> block) const noexcept;

    // PCBC over whole 8-byte blocks in place. `data.size()` must be a multiple of 8:
    // callers pad (rxkad pads with zeros); any trailing partial block is left untouched.
    // `iv` is updated to the chaining value after the last block, so a message can be
    // processed in pieces; rxkad restarts from the session key for every packet.
    void pcbc_encrypt(std::span<std::byte> data, Block& iv) const noexcept;
    void pcbc_decrypt(std::span<std::byte> data, Block& iv) const noexcept;

    // Convenience: PCBC with a fixed IV (the IV is not updated).
    void pcbc_encrypt(std::span<std::byte> data, const Key& iv) const noexcept;
    void pcbc_decrypt(std::span<std::byte> data, const Key& iv) const noexcept;

private:
    std::array<uint32_t, 16> schedule_{};
};

}  // namespace afs::crypto
