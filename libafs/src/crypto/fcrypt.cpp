#include "libafs/crypto/fcrypt.hpp"

#include "byte_order.hpp"
#include "fcrypt_sboxes.hpp"

namespace afs::crypto {
namespace {

using detail::load_be32;
using detail::store_be32;

// The round function maps S = x ^ subkey to P byte by byte through the S-boxes
//     P[15..8] = sbox0[S[31..24]]   P[7..0]   = sbox1[S[23..16]]
//     P[23..16] = sbox2[S[15..8]]   P[31..24] = sbox3[S[7..0]]
// and rotates P right by 5. Rotation distributes over XOR and the four bytes land in
// disjoint positions, so each S-box can be widened to a 32-bit table that already holds
// its byte in place, rotated; a round is then four lookups and three XORs.
constexpr uint32_t rotate_right_5(uint32_t x) { return (x >> 5) | (x << 27); }

constexpr std::array<uint32_t, 256> widen(const std::array<uint8_t, 256>& sbox, int shift) {
    std::array<uint32_t, 256> table{};
    for (size_t i = 0; i < 256; ++i) table[i] = rotate_right_5(uint32_t(sbox[i]) << shift);
    return table;
}

constexpr auto table_hi = widen(detail::sbox0, 8);    // indexed by S[31..24]
constexpr auto table_mh = widen(detail::sbox1, 0);    // indexed by S[23..16]
constexpr auto table_ml = widen(detail::sbox2, 16);   // indexed by S[15..8]
constexpr auto table_lo = widen(detail::sbox3, 24);   // indexed by S[7..0]

inline uint32_t round_function(uint32_t x, uint32_t subkey) noexcept {
    uint32_t s = x ^ subkey;
    return table_hi[s >> 24] ^ table_mh[(s >> 16) & 0xff] ^ table_ml[(s >> 8) & 0xff] ^ table_lo[s & 0xff];
}

inline void encrypt_words(const std::array<uint32_t, 16>& k, uint32_t& l, uint32_t& r) noexcept {
    for (size_t i = 0; i < 16; i += 2) {
        l ^= round_function(r, k[i]);
        r ^= round_function(l, k[i + 1]);
    }
}

inline void decrypt_words(const std::array<uint32_t, 16>& k, uint32_t& l, uint32_t& r) noexcept {
    for (size_t i = 16; i > 0; i -= 2) {
        r ^= round_function(l, k[i - 1]);
        l ^= round_function(r, k[i - 2]);
    }
}

}  // namespace

Fcrypt::Fcrypt(const Key& key) noexcept {
    // The 56-bit key is the seven high bits of each byte (the low bit is DES parity),
    // byte 0 most significant. Subkey i is the low 32 bits after rotating it right by
    // 11 bits i times.
    constexpr uint64_t mask56 = (uint64_t(1) << 56) - 1;
    uint64_t k = 0;
    for (auto b : key.bytes()) k = (k << 7) | (std::to_integer<uint8_t>(b) >> 1);
    for (auto& subkey : schedule_) {
        subkey = static_cast<uint32_t>(k);
        k = ((k >> 11) | (k << 45)) & mask56;
    }
}

Fcrypt::~Fcrypt() { wipe(std::as_writable_bytes(std::span(schedule_))); }

void Fcrypt::encrypt(uint32_t& left, uint32_t& right) const noexcept { encrypt_words(schedule_, left, right); }
void Fcrypt::decrypt(uint32_t& left, uint32_t& right) const noexcept { decrypt_words(schedule_, left, right); }

void Fcrypt::encrypt_block(std::span<std::byte, 8> block) const noexcept {
    uint32_t l = load_be32(block.data()), r = load_be32(block.data() + 4);
    encrypt_words(schedule_, l, r);
    store_be32(block.data(), l);
    store_be32(block.data() + 4, r);
}

void Fcrypt::decrypt_block(std::span<std::byte, 8> block) const noexcept {
    uint32_t l = load_be32(block.data()), r = load_be32(block.data() + 4);
    decrypt_words(schedule_, l, r);
    store_be32(block.data(), l);
    store_be32(block.data() + 4, r);
}

void Fcrypt::pcbc_encrypt(std::span<std::byte> data, Block& iv) const noexcept {
    uint32_t vl = load_be32(iv.data()), vr = load_be32(iv.data() + 4);
    std::byte* p = data.data();
    for (size_t n = data.size() / 8; n > 0; --n, p += 8) {
        uint32_t pl = load_be32(p), pr = load_be32(p + 4);
        uint32_t cl = pl ^ vl, cr = pr ^ vr;
        encrypt_words(schedule_, cl, cr);
        store_be32(p, cl);
        store_be32(p + 4, cr);
        vl = pl ^ cl;
        vr = pr ^ cr;
    }
    store_be32(iv.data(), vl);
    store_be32(iv.data() + 4, vr);
}

void Fcrypt::pcbc_decrypt(std::span<std::byte> data, Block& iv) const noexcept {
    uint32_t vl = load_be32(iv.data()), vr = load_be32(iv.data() + 4);
    std::byte* p = data.data();
    for (size_t n = data.size() / 8; n > 0; --n, p += 8) {
        uint32_t cl = load_be32(p), cr = load_be32(p + 4);
        uint32_t pl = cl, pr = cr;
        decrypt_words(schedule_, pl, pr);
        pl ^= vl;
        pr ^= vr;
        store_be32(p, pl);
        store_be32(p + 4, pr);
        vl = pl ^ cl;
        vr = pr ^ cr;
    }
    store_be32(iv.data(), vl);
    store_be32(iv.data() + 4, vr);
}

void Fcrypt::pcbc_encrypt(std::span<std::byte> data, const Key& iv) const noexcept {
    Block chain = iv.bytes();
    pcbc_encrypt(data, chain);
    wipe(chain);
}

void Fcrypt::pcbc_decrypt(std::span<std::byte> data, const Key& iv) const noexcept {
    Block chain = iv.bytes();
    pcbc_decrypt(data, chain);
    wipe(chain);
}

}  // namespace afs::crypto
