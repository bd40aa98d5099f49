// rxkad-k5: the token a Kerberos 5 user presents to an OpenAFS server.
//
// The rxkad ticket is the whole DER-encoded Kerberos 5 service ticket for afs/CELL@REALM
// (or afs@REALM), announced by kvno 256; the server decrypts it with its own Kerberos key
// (KeyFileExt, the rxkad_krb5 key type) and learns the client and the session key. rxkad
// itself (fcrypt) needs an 8-byte DES key, so both sides turn the Kerberos session key into
// one (draft-kaduk-afs3-rxkad-k5-kdf):
//   - single DES enctypes (1, 2, 3): the 8 key bytes as they are;
//   - triple DES enctypes (5, 7, 16): each 8-byte block is squeezed to the 7 bytes of key
//     material it carries (its 8th byte holds the others' low bits), then as below;
//   - any other (AES, Camellia, RC4...): K(i) = HMAC-MD5(key, i || "rxkad" || 0x00 ||
//     00 00 00 40) for the counter i = 1, 2, ... 255; the first 8 bytes of K(i), with odd
//     parity set, are the key unless that is a DES weak key, in which case the next i.
// The enctypes the draft rules out (0, 4, 6, 8..15 and negative ones) are refused.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "libafs/crypto/key.hpp"
#include "libafs/crypto/token.hpp"
#include "libafs/error.hpp"

namespace afs::crypto {

// Kerberos 5 encryption types (RFC 3961 and successors) that matter here.
namespace enctype {
inline constexpr int32_t des_cbc_crc = 1;
inline constexpr int32_t des_cbc_md4 = 2;
inline constexpr int32_t des_cbc_md5 = 3;
inline constexpr int32_t des3_cbc_md5 = 5;
inline constexpr int32_t old_des3_cbc_sha1 = 7;
inline constexpr int32_t des3_cbc_sha1 = 16;
inline constexpr int32_t aes128_cts_hmac_sha1_96 = 17;
inline constexpr int32_t aes256_cts_hmac_sha1_96 = 18;
inline constexpr int32_t aes128_cts_hmac_sha256_128 = 19;
inline constexpr int32_t aes256_cts_hmac_sha384_192 = 20;
inline constexpr int32_t arcfour_hmac = 23;
inline constexpr int32_t camellia128_cts_cmac = 25;
inline constexpr int32_t camellia256_cts_cmac = 26;
}  // namespace enctype

// The rxkad session key for a Kerberos 5 session key of type `enctype` (rules above).
// errc::bad_value for an enctype the derivation refuses, a single-DES key that is not
// 8 bytes, a triple-DES key that is not a multiple of 8 bytes, any other key shorter than
// 7 bytes, or (never seen: 255 weak keys in a row) no usable key.
result<Key> derive_rxkad_key(int32_t enctype, std::span<const std::byte> session_key);

// A Kerberos 5 service ticket for an AFS cell, as a Kerberos library hands it out.
struct Kerberos5Ticket {
    Principal client;                  // "alice" / "alice/admin" as name "alice", instance "admin"; cell = realm
    int32_t enctype = 0;               // of the session key
    std::vector<std::byte> session_key;
    std::vector<std::byte> ticket;     // the whole DER-encoded Ticket
    uint32_t start = 0;                // Unix seconds
    uint32_t end = 0;
};

// The rxkad token for it: kvno 256, the whole ticket, the derived session key.
// errc::bad_value from the derivation; errc::bad_ticket for an empty or oversized ticket.
result<Token> make_kerberos5_token(const Kerberos5Ticket& ticket);

}  // namespace afs::crypto
