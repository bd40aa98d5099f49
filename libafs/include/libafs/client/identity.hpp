// Who an AFS operation speaks as.
//
// An Identity is a shared rx::SecurityClass: anonymous (rxnull), or rxkad over a Token at
// a protection level. Every Client operation takes the identity to use, so a caller can
// hold several (anonymous, alice, bob...) and switch per call; the client keeps one pool
// of Rx connections per (server, identity), so switching costs no new handshake once each
// identity has been used.
#pragma once

#include <memory>
#include <string>

#include "libafs/crypto/rxkad.hpp"
#include "libafs/crypto/token.hpp"
#include "libafs/rx/security.hpp"

namespace afs::client {

using Identity = std::shared_ptr<rx::SecurityClass>;

// rxnull: the fileserver treats the caller as system:anyuser.
Identity anonymous();

// rxkad at `level` with `token` (from mint_token, or obtained elsewhere).
Identity rxkad(crypto::Token token, crypto::Level level);

// "rxnull (anonymous)", "rxkad crypt as bob@test.afs (kvno 3)"; "no identity" for null.
std::string describe(const Identity& identity);

}  // namespace afs::client
