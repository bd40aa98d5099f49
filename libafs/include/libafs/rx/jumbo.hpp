// Jumbograms: several DATA packets of one call in one UDP datagram.
//
//   [28-byte header of packet k][1412 data bytes][4-byte jumbo header of k+1][1412 bytes]...[last: any length]
//
// Every packet but the last carries exactly 1412 data bytes (its security header
// included) and has JUMBO_PACKET in its flags; the first packet's flags and checksum are in
// the main header, each later one's in its jumbo header (flags, spare, checksum). A later
// packet takes the previous packet's header with seq + 1, serial + 1 and userStatus 0.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "libafs/error.hpp"
#include "libafs/rx/packet.hpp"

namespace afs::rx {

// One DATA packet: its header and its data area (security header + user data), which
// points into the datagram and may be unsealed in place.
struct PacketView {
    Header header;
    std::span<std::byte> data;
};

// More than a 64 KiB datagram can hold.
inline constexpr size_t max_packets_per_datagram = 48;

// Splits a received DATA datagram into its packets; `payload` is everything after the
// 28-byte header `first`. A datagram without JUMBO_PACKET gives one packet. The
// JUMBO_PACKET bit is cleared in the headers handed out (it is framing, not meaning).
// The whole datagram is rejected, with nothing written to `out` that the caller should
// use, when a packet flagged JUMBO_PACKET is not followed by 1412 + 4 more bytes
// (errc::truncated) or the datagram holds more packets than `out` (errc::too_large).
[[nodiscard]] result<size_t> split_jumbogram(const Header& first, std::span<std::byte> payload,
                                             std::span<PacketView> out);

// The 4-byte header in front of each packet after the first.
void encode_jumbo_header(uint8_t flags, uint16_t checksum, std::span<std::byte, jumbo_header_size> out);

// One packet to put in a jumbogram: flags (JUMBO_PACKET is added as needed), the
// security checksum, and its data area (already sealed).
struct JumboPart {
    uint8_t flags = 0;
    uint16_t checksum = 0;
    std::span<const std::byte> data;
};

// Builds a whole datagram into `out` (replacing its contents) from `first` (whose seq and
// serial are those of parts[0]) and the parts. Fails with errc::bad_value if a part other
// than the last is not exactly 1412 bytes, errc::too_large for more parts than fit.
[[nodiscard]] std::error_code build_jumbogram(const Header& first, std::span<const JumboPart> parts,
                                              std::vector<std::byte>& out);

}  // namespace afs::rx
