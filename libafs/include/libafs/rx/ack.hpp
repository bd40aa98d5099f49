// The body of an Rx ACK packet (rx_ackPacket) and its trailer.
//
//   bufferSpace[2] maxSkew[2] firstPacket[4] previousPacket[4] serial[4] reason[1] nAcks[1]
//   acks[nAcks]  pad[3]  maxMTU[4] ifMTU[4] rwind[4] jumboMax[4]
//
// Every seq below firstPacket is acknowledged for good ("hard ack"); acks[i] says whether
// seq firstPacket+i is held by the receiver (1, a "soft ack" it may still drop) or missing
// (0). The trailer words were added over time: peers send 0 to 4 of them, so they are
// read by length. Bytes after the fourth word are ignored (room for later extensions).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "libafs/error.hpp"

namespace afs::rx {

enum class AckReason : uint8_t {
    requested = 1,       // the peer set REQUEST_ACK
    duplicate = 2,
    out_of_sequence = 3,
    exceeds_window = 4,
    no_space = 5,
    ping = 6,            // keepalive / reachability probe (sent with REQUEST_ACK)
    ping_response = 7,   // the answer to a ping; `serial` echoes the ping's serial
    delay = 8,           // sent from the delayed-ack timer (not usable for RTT)
    idle = 9,
};

inline constexpr uint8_t ack_type_nack = 0;
inline constexpr uint8_t ack_type_ack = 1;
inline constexpr size_t ack_fixed_size = 18;     // up to and including nAcks
inline constexpr size_t ack_trailer_pad = 3;

struct AckTrailer {
    uint32_t max_mtu = 0;     // largest packet (header included) the sender of the ACK accepts
    uint32_t if_mtu = 0;      // its interface MTU
    uint32_t rwind = 0;       // its receive window in packets
    uint32_t jumbo_max = 0;   // packets per jumbogram it accepts (1 = no jumbograms)
    uint8_t words = 0;        // how many of the four words are present (0..4)
};

struct Ack {
    uint16_t buffer_space = 0;
    uint16_t max_skew = 0;
    uint32_t first_packet = 0;
    uint32_t previous_packet = 0;
    uint32_t serial = 0;           // serial of the packet that prompted this ACK, 0 if none
    uint8_t reason = 0;            // an AckReason; unknown values are kept as they came
    std::span<const std::byte> acks;  // one entry per seq from first_packet (view, not owned)
    AckTrailer trailer;

    AckReason reason_code() const { return static_cast<AckReason>(reason); }
    bool acked(size_t i) const { return std::to_integer<uint8_t>(acks[i]) == ack_type_ack; }
};

// The size of an ACK body with `n_acks` entries and `trailer_words` trailer words.
constexpr size_t ack_body_size(size_t n_acks, size_t trailer_words = 4) {
    return ack_fixed_size + n_acks + (trailer_words ? ack_trailer_pad + 4 * trailer_words : 0);
}

// Writes an ACK body with ack.trailer.words trailer words into `out`; returns its size.
// Fails with errc::too_large for more than 255 acks or trailer words, or if `out` is short.
[[nodiscard]] result<size_t> encode_ack(const Ack& ack, std::span<std::byte> out);

// Reads an ACK body. acks in the result points into `body`.
[[nodiscard]] result<Ack> decode_ack(std::span<const std::byte> body);

}  // namespace afs::rx
