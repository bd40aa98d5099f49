// The server side of rxkad, as far as proving a client right needs it: build a challenge,
// check the client's response the way an AFS server does (ticket, checksum, endpoint,
// challenge id, level), and seal/unseal packets on the server end of the connection.
// Unit tests use it to check the client without a network; it is not a full server.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "libafs/crypto/keyfile.hpp"
#include "libafs/crypto/principal.hpp"
#include "libafs/crypto/rxkad.hpp"
#include "libafs/error.hpp"
#include "libafs/rx/security.hpp"

namespace afs::crypto {

struct Challenge {
    uint32_t id = 0;
    Level min_level = Level::clear;
    bool v2 = true;  // servers send the 8-byte old form only to clients that never sent a checksum
};

// The CHALLENGE packet body: v2 `version=2 id level 0` (16 bytes), old `id level` (8).
std::vector<std::byte> encode_challenge(const Challenge& challenge);

// Who a valid response proved to be on the other end.
struct AuthenticatedClient {
    Principal client;
    int32_t kvno = 0;
    Level level = Level::clear;  // the client's level, now the connection's
    Key session_key;
    uint32_t host = 0;
    uint32_t start = 0;
    uint32_t end = 0;
    std::array<uint32_t, 4> call_numbers{};  // v2 only: the client's call numbers, which the server adopts
};

class RxkadVerifier {
public:
    explicit RxkadVerifier(KeyFile keys) : keys_(std::move(keys)) {}

    // Checks a RESPONSE body for a challenge sent on connection `conn`, at time `now`.
    // Errors, as abort codes: RXKADPACKETSHORT (too short for its fields or its ticket),
    // RXKADTICKETLEN (ticket length outside 32..12000), RXKADUNKNOWNKEY (no key with that
    // kvno; Kerberos 5 tickets are not supported here), RXKADBADTICKET (ticket does not
    // decode), RXKADEXPIRED / RXKADNOAUTH (ticket expired / not valid now),
    // RXKADSEALEDINCON (checksum, endpoint or call numbers wrong), RXKADOUTOFSEQUENCE
    // (challenge id not ours + 1), RXKADLEVELFAIL (level below the minimum or above crypt).
    // A real OpenAFS server reports an expired ticket as RXKADBADTICKET; this is more precise.
    result<AuthenticatedClient> verify(std::span<const std::byte> response, const rx::ConnectionIdentity& conn,
                                       const Challenge& sent, uint32_t now) const;

    // Packet security for the server end of a connection the client authenticated on.
    static std::unique_ptr<rx::ConnectionSecurity> connection(const AuthenticatedClient& client,
                                                              const rx::ConnectionIdentity& conn);

private:
    KeyFile keys_;
};

}  // namespace afs::crypto
