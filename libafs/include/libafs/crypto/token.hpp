// Tokens: what an AFS client needs to speak rxkad as someone: the session key, the
// ticket the server will decrypt (opaque to the client), its key version, and the
// validity window.
//
// A Token is an immutable value sharing its state: copying one is a reference-count
// increment, so an AFS client can hold several and hand them to connections freely. The
// session key is wiped when the last copy goes away.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "libafs/crypto/key.hpp"
#include "libafs/crypto/keyfile.hpp"
#include "libafs/crypto/lifetime.hpp"
#include "libafs/crypto/principal.hpp"
#include "libafs/error.hpp"

namespace afs::crypto {

// kvno values that announce a Kerberos 5 ticket rather than an rxkad (Kerberos 4) one.
inline constexpr int32_t kvno_kerberos5 = 256;
inline constexpr int32_t kvno_kerberos5_enc_part = 213;

class Token {
public:
    // For a token obtained elsewhere (aklog) or built here. `who` may be left empty when
    // unknown; it is only used in messages. errc::bad_ticket for an empty ticket or one
    // longer than 12000 bytes (no server would take it).
    static result<Token> make(Principal who, const Key& session_key, int32_t kvno, std::vector<std::byte> ticket,
                              uint32_t start, uint32_t end);

    const Principal& principal() const { return state_->who; }
    const Key& session_key() const { return state_->session_key; }
    int32_t kvno() const { return state_->kvno; }
    std::span<const std::byte> ticket() const { return state_->ticket; }
    uint32_t start() const { return state_->start; }
    uint32_t end() const { return state_->end; }  // never_expires for tokens that do not expire

    // True from `end` on. (Servers accept tickets 15 minutes longer; a client should not.)
    bool expired(uint32_t now) const { return state_->end != never_expires && now >= state_->end; }
    bool expired() const { return expired(unix_now()); }

    // "bob@test.afs (kvno 3)".
    std::string describe() const;

    // True if both share the same state (copies of one token).
    bool same_as(const Token& other) const { return state_ == other.state_; }

private:
    struct State {
        Principal who;
        Key session_key;
        int32_t kvno = 0;
        std::vector<std::byte> ticket;
        uint32_t start = 0;
        uint32_t end = 0;
    };
    explicit Token(std::shared_ptr<const State> s) : state_(std::move(s)) {}
    std::shared_ptr<const State> state_;
};

struct MintRequest {
    Principal who;                  // any user, not only "afs"; cell "" = the server's own cell
    uint32_t start = 0;             // Unix seconds
    uint32_t end = never_expires;   // Unix seconds; rounded up to what a lifetime code can say
    uint32_t host = 0;              // client address put in the ticket (servers do not check it)
    std::optional<int32_t> kvno;    // which server key; default: the latest (highest kvno)
};

// Mints a token the way a KeyFile holder can (OpenAFS's -localauth does it for "afs"):
// a fresh random session key, a ticket for service "afs" encrypted with the server key.
// The token's end is the ticket's real end (see encode_lifetime). Errors: errc::no_key
// (no key, no key with that kvno, or a key without DES odd parity or weak), errc::bad_value (a kvno that would announce a
// Kerberos 5 ticket, a principal that does not fit, times a ticket cannot carry).
result<Token> mint_token(const KeyFile& keys, const MintRequest& request);

// A token for `who` valid from `now` for `lifetime` (at most 30 days).
result<Token> mint_token(const KeyFile& keys, const Principal& who, std::chrono::seconds lifetime,
                         uint32_t now = unix_now());

// What OpenAFS's -localauth builds: "afs" (the superuser) in the local cell, no expiry.
result<Token> mint_localauth_token(const KeyFile& keys);

}  // namespace afs::crypto
