// What every rxkad connection of one session key shares, and the per-connection and
// per-packet values derived from it.
#pragma once

#include <cstdint>

#include "libafs/crypto/fcrypt.hpp"
#include "libafs/crypto/key.hpp"
#include "libafs/rx/security.hpp"

namespace afs::crypto::detail {

struct SessionCipher {
    explicit SessionCipher(const Key& session_key) : fcrypt(session_key), iv(session_key) {}
    Fcrypt fcrypt;
    Key iv;  // rxkad uses the session key itself as the IV of every PCBC operation
};

// The per-connection value that binds header checksums to one connection: the last
// block of the PCBC encryption of {epoch, cid & ~3, 0, securityIndex}.
struct PreSeq {
    uint32_t left = 0;
    uint32_t right = 0;
};
PreSeq derive_pre_seq(const SessionCipher& cipher, const rx::ConnectionIdentity& conn);

// The 16-bit DATA header checksum: fcrypt-ECB of {callNumber, channel << 30 | seq} XOR
// preSeq, upper half of the second word. Never 0 (0 means "no checksum" on the wire).
uint16_t header_checksum(const SessionCipher& cipher, const PreSeq& pre_seq, const rx::PacketIdentity& packet);

}  // namespace afs::crypto::detail
