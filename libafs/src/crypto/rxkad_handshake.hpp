// The rxkad CHALLENGE and RESPONSE bodies (big-endian throughout).
//
//   v2 challenge: version[4]=2 challengeID[4] level[4] spare[4]
//   old challenge: challengeID[4] level[4]
//   v2 response:  version[4]=2 spare[4]
//                 | epoch[4] cid[4] cksum[4] securityIndex[4] callNumbers[4][4]
//                 | incChallengeID[4] level[4]                    <- bytes 8..47, PCBC
//                 kvno[4] ticketLen[4] ticket
//   old response: | incChallengeID[4] level[4] |                  <- bytes 0..7, ECB
//                 kvno[4] ticketLen[4] ticket
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "libafs/crypto/rxkad.hpp"
#include "libafs/error.hpp"
#include "rxkad_session.hpp"

namespace afs::crypto::detail {

inline constexpr uint32_t challenge_version = 2;
inline constexpr size_t v2_challenge_size = 16;
inline constexpr size_t old_challenge_size = 8;
inline constexpr size_t v2_response_size = 56;  // before the ticket
inline constexpr size_t old_response_size = 16;
inline constexpr size_t v2_encrypted_offset = 8;
inline constexpr size_t v2_encrypted_size = 40;
inline constexpr size_t v2_checksum_offset = 16;
inline constexpr size_t max_packet_data = 16384 - 28;  // RX_MAX_PACKET_DATA_SIZE

struct ParsedChallenge {
    bool v2 = true;
    uint32_t id = 0;
    int32_t level = 0;
};

// A body longer than 8 bytes is a v2 challenge and needs 16; shorter than 8 is neither.
// RXKADPACKETSHORT otherwise.
result<ParsedChallenge> parse_challenge(std::span<const std::byte> body);

// The checksum over the 56-byte fixed part of a plaintext v2 response, taken as if its
// cksum field were zero: c = 1000003, then c = byte + c * 0x10204081 for every byte.
uint32_t response_checksum(std::span<const std::byte> fixed_part);

struct ResponseInput {
    const SessionCipher& cipher;
    const rx::ConnectionIdentity& conn;
    const std::array<uint32_t, 4>& call_numbers;
    Level level;
    int32_t kvno;
    std::span<const std::byte> ticket;
};

// The RESPONSE body for a challenge. RXKADINCONSISTENCY for a call number above 2^31 - 1
// (they travel as signed values), RXKADPACKETSHORT if the ticket cannot fit one packet.
result<std::vector<std::byte>> build_response(const ParsedChallenge& challenge, const ResponseInput& in);

}  // namespace afs::crypto::detail
