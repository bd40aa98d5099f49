// The Rx packet header and the small fixed bodies (ABORT, VERSION), as OpenAFS 1.8 puts
// them on the wire: pure functions over bytes, no I/O.
//
// Every Rx packet starts with the same 28-byte big-endian header; the body that follows
// depends on the type (ack.hpp for ACK bodies, jumbo.hpp for DATA datagrams that carry
// several packets). Decoding is strict and never reads outside the span it is given.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "libafs/error.hpp"

namespace afs::rx {

// Sizes (rx_packet.h). Packet sizes include the 28-byte header.
inline constexpr size_t header_size = 28;
inline constexpr size_t max_packet_size = 16384;       // RX_MAX_PACKET_SIZE
inline constexpr size_t min_packet_size = 520;         // RX_MIN_PACKET_SIZE (576 - IPv6/UDP overhead)
inline constexpr size_t default_packet_size = 1444;    // RX_REMOTE_PACKET_SIZE: 1416 bytes of data
inline constexpr size_t jumbo_buffer_size = 1412;      // data bytes of every packet but the last in a jumbogram
inline constexpr size_t jumbo_header_size = 4;         // flags, spare, checksum before each following packet
inline constexpr size_t max_acks = 255;                // acks[] entries in one ACK (RX_MAXACKS)
inline constexpr uint32_t channels_per_connection = 4; // RX_MAXCALLS
inline constexpr uint32_t cid_channel_mask = 3;
inline constexpr uint32_t cid_increment = 4;           // 1 << RX_CIDSHIFT
inline constexpr size_t version_body_size = 65;        // NUL-padded version string of a VERSION reply

enum class PacketType : uint8_t {
    data = 1,
    ack = 2,
    busy = 3,
    abort = 4,
    ackall = 5,
    challenge = 6,
    response = 7,
    debug = 8,
    params1 = 9,
    params2 = 10,
    params3 = 11,
    version = 13,
};

// Header flag bits. jumbo_packet and slow_start_ok share a bit: the first means "another
// packet follows in this datagram" on DATA, the second "I do slow start" on ACK.
namespace flag {
inline constexpr uint8_t client_initiated = 0x01;
inline constexpr uint8_t request_ack = 0x02;
inline constexpr uint8_t last_packet = 0x04;
inline constexpr uint8_t more_packets = 0x08;
inline constexpr uint8_t slow_start_ok = 0x20;
inline constexpr uint8_t jumbo_packet = 0x20;
}  // namespace flag

struct Header {
    uint32_t epoch = 0;
    uint32_t cid = 0;           // connection id | channel
    uint32_t call_number = 0;   // 0 for connection-level packets (CHALLENGE, RESPONSE, connection ABORT)
    uint32_t seq = 0;           // DATA: 1, 2, ... per direction of a call; 0 otherwise
    uint32_t serial = 0;        // per connection and direction, one per packet sent
    PacketType type = PacketType::data;
    uint8_t flags = 0;
    uint8_t user_status = 0;
    uint8_t security_index = 0;
    uint16_t checksum = 0;      // the security class's header checksum (DATA only), else 0
    uint16_t service_id = 0;

    uint32_t channel() const { return cid & cid_channel_mask; }
    uint32_t connection_id() const { return cid & ~cid_channel_mask; }
    bool has(uint8_t f) const { return (flags & f) != 0; }

    friend bool operator==(const Header&, const Header&) = default;
};

// Writes the 28-byte header.
void encode_header(const Header& h, std::span<std::byte, header_size> out);

// Reads the header at the start of a datagram. Fails with errc::truncated for fewer than
// 28 bytes and errc::bad_value for a packet type Rx does not define (0, 12, 14...).
[[nodiscard]] result<Header> decode_header(std::span<const std::byte> datagram);

// ABORT body: one signed 32-bit error code. Bytes after it are ignored (OpenAFS reads
// only the first word), fewer than 4 bytes are errc::truncated.
void encode_abort_body(int32_t code, std::span<std::byte, 4> out);
[[nodiscard]] result<int32_t> decode_abort_body(std::span<const std::byte> body);

// VERSION reply body: `text` truncated to 64 bytes and NUL-padded to 65.
std::array<std::byte, version_body_size> version_body(std::string_view text);

// A short name for traces and test messages ("DATA", "ACK"...).
std::string_view to_string(PacketType type);

}  // namespace afs::rx
