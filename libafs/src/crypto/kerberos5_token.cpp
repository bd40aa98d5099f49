#include "libafs/crypto/kerberos5_token.hpp"

#include "libafs/crypto/ticket.hpp"

#include <array>

#include <openssl/evp.h>
#include <openssl/hmac.h>

namespace afs::crypto {
namespace {

// Triple-DES keys carry 56 bits per 8-byte block: bytes 0..6 hold 7 bits each in their top
// bits and byte 7 holds their low bits (bit j+1 for byte j). Gives 7 bytes per block.
std::vector<std::byte> squeeze_des3_key(std::span<const std::byte> key) {
    std::vector<std::byte> out;
    out.reserve(key.size() / 8 * 7);
    for (size_t block = 0; block + 8 <= key.size(); block += 8) {
        auto low_bits = static_cast<unsigned>(key[block + 7]) >> 1;
        for (size_t j = 0; j < 7; ++j) {
            auto b = (static_cast<unsigned>(key[block + j]) & 0xfeu) | (low_bits & 1u);
            out.push_back(static_cast<std::byte>(b));
            low_bits >>= 1;
        }
    }
    return out;
}

// NIST SP 800-108 counter mode with HMAC-MD5, label "rxkad", no context, L = 64 bits; a
// weak DES key advances the counter rather than being patched.
result<Key> derive_from_prf(std::span<const std::byte> key_material) {
    static constexpr unsigned char label_and_length[] = {'r', 'x', 'k', 'a', 'd', 0, 0, 0, 0, 64};
    for (unsigned counter = 1; counter <= 255; ++counter) {
        std::array<unsigned char, 1 + sizeof label_and_length> input{};
        input[0] = static_cast<unsigned char>(counter);
        std::copy(std::begin(label_and_length), std::end(label_and_length), input.begin() + 1);
        std::array<unsigned char, EVP_MAX_MD_SIZE> mac{};
        unsigned int mac_size = 0;
        if (!HMAC(EVP_md5(), key_material.data(), static_cast<int>(key_material.size()), input.data(), input.size(),
                  mac.data(), &mac_size) ||
            mac_size < key_size) {
            wipe(std::as_writable_bytes(std::span(mac)));
            return fail(std::make_error_code(std::errc::io_error));
        }
        Block block{};
        for (size_t i = 0; i < key_size; ++i) block[i] = static_cast<std::byte>(mac[i]);
        wipe(std::as_writable_bytes(std::span(mac)));
        Key candidate = with_odd_parity(Key(block));
        wipe(block);
        if (!is_weak_des_key(candidate)) return candidate;
    }
    return fail(errc::bad_value);
}

}  // namespace

result<Key> derive_rxkad_key(int32_t type, std::span<const std::byte> session_key) {
    switch (type) {
        case enctype::des_cbc_crc:
        case enctype::des_cbc_md4:
        case enctype::des_cbc_md5:
            if (session_key.size() != key_size) return fail(errc::bad_value);
            return Key::from_bytes(session_key);
        case 0:
        case 4:
        case 6:
        case 8:
        case 9:
        case 10:
        case 11:
        case 12:
        case 13:
        case 14:
        case 15:
            return fail(errc::bad_value);  // reserved, or CMS algorithm identifiers in PKINIT
        case enctype::des3_cbc_md5:
        case enctype::old_des3_cbc_sha1:
        case enctype::des3_cbc_sha1: {
            if (session_key.empty() || session_key.size() % 8 != 0) return fail(errc::bad_value);
            auto squeezed = squeeze_des3_key(session_key);
            auto key = derive_from_prf(squeezed);
            wipe(squeezed);
            return key;
        }
        default:
            if (type < 0 || session_key.size() < 7) return fail(errc::bad_value);
            return derive_from_prf(session_key);
    }
}

result<Token> make_kerberos5_token(const Kerberos5Ticket& t) {
    auto key = derive_rxkad_key(t.enctype, t.session_key);
    if (!key) return fail(key.error());
    if (t.ticket.size() < min_ticket_size) return fail(errc::bad_ticket);
    return Token::make(t.client, *key, kvno_kerberos5, t.ticket, t.start, t.end);
}

}  // namespace afs::crypto
