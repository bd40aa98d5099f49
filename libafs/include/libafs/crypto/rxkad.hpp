// rxkad, the Kerberos-4 style Rx security class (securityIndex 2), client side.
//
// An RxkadClient is an identity (a Token) plus a protection level; Rx asks it for one
// ConnectionSecurity per connection, which then
//  * puts a keyed 16-bit checksum of (callNumber, channel, seq) in every DATA packet's
//    header, bound to the connection by a per-connection value derived from the session
//    key, epoch and connection id;
//  * at level auth, prefixes the data with a 4-byte word (seq ^ callNumber, length) and
//    fcrypt-encrypts the first 8 bytes of the data area;
//  * at level crypt, prefixes an 8-byte header and fcrypt-PCBC encrypts the whole data
//    area, zero-padded to a multiple of 8;
//  * answers the server's CHALLENGE with a RESPONSE carrying the ticket and an encrypted
//    proof of the session key.
// Failures are rxkad abort codes (afs::abort_error): RXKADSEALEDINCON for a packet whose
// checksum or seal does not match, RXKADDATALEN for a length that does not fit,
// RXKADPACKETSHORT for a short packet or challenge, RXKADLEVELFAIL for a challenge asking
// more than our level.
//
// Everything here is immutable after construction except one flag per connection, kept
// atomically: one class and its connections may be used from several threads.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "libafs/crypto/token.hpp"
#include "libafs/rx/security.hpp"

namespace afs::crypto {

enum class Level : int32_t { clear = 0, auth = 1, crypt = 2 };
const char* to_string(Level level);

// A fileserver offers rxkad under securityIndex 2 (any level) and 3 (crypt only).
inline constexpr uint8_t security_index_rxkad_crypt_only = 3;

namespace detail {
struct SessionCipher;
}

class RxkadClient final : public rx::SecurityClass {
public:
    // `security_index` is sent in every packet and bound into the checksums; use
    // security_index_rxkad_crypt_only (with Level::crypt) for a fileserver's index 3.
    RxkadClient(Token token, Level level, uint8_t security_index = rx::security_index_rxkad);
    ~RxkadClient() override;

    uint8_t index() const override { return index_; }
    // "rxkad crypt as bob@test.afs (kvno 3)".
    std::string describe() const override;
    std::unique_ptr<rx::ConnectionSecurity> new_connection(const rx::ConnectionIdentity& id) override;

    const Token& token() const { return token_; }
    Level level() const { return level_; }

private:
    Token token_;
    Level level_;
    uint8_t index_;
    std::shared_ptr<const detail::SessionCipher> cipher_;  // the session key's schedule, shared by connections
};

}  // namespace afs::crypto
