#include "libafs/rx/packet.hpp"

#include <algorithm>
#include <cstring>

#include "byte_order.hpp"

namespace afs::rx {

using detail::load_be16;
using detail::load_be32;
using detail::store_be16;
using detail::store_be32;

void encode_header(const Header& h, std::span<std::byte, header_size> out) {
    std::byte* p = out.data();
    store_be32(p + 0, h.epoch);
    store_be32(p + 4, h.cid);
    store_be32(p + 8, h.call_number);
    store_be32(p + 12, h.seq);
    store_be32(p + 16, h.serial);
    p[20] = std::byte(static_cast<uint8_t>(h.type));
    p[21] = std::byte(h.flags);
    p[22] = std::byte(h.user_status);
    p[23] = std::byte(h.security_index);
    store_be16(p + 24, h.checksum);
    store_be16(p + 26, h.service_id);
}

namespace {

bool is_defined_type(uint8_t t) { return (t >= 1 && t <= 11) || t == 13; }

}  // namespace

result<Header> decode_header(std::span<const std::byte> datagram) {
    if (datagram.size() < header_size) return fail(errc::truncated);
    const std::byte* p = datagram.data();
    const auto type = std::to_integer<uint8_t>(p[20]);
    if (!is_defined_type(type)) return fail(errc::bad_value);
    Header h;
    h.epoch = load_be32(p + 0);
    h.cid = load_be32(p + 4);
    h.call_number = load_be32(p + 8);
    h.seq = load_be32(p + 12);
    h.serial = load_be32(p + 16);
    h.type = static_cast<PacketType>(type);
    h.flags = std::to_integer<uint8_t>(p[21]);
    h.user_status = std::to_integer<uint8_t>(p[22]);
    h.security_index = std::to_integer<uint8_t>(p[23]);
    h.checksum = load_be16(p + 24);
    h.service_id = load_be16(p + 26);
    return h;
}

void encode_abort_body(int32_t code, std::span<std::byte, 4> out) {
    store_be32(out.data(), static_cast<uint32_t>(code));
}

result<int32_t> decode_abort_body(std::span<const std::byte> body) {
    if (body.size() < 4) return fail(errc::truncated);
    return static_cast<int32_t>(load_be32(body.data()));
}

std::array<std::byte, version_body_size> version_body(std::string_view text) {
    std::array<std::byte, version_body_size> body{};
    const size_t n = std::min(text.size(), version_body_size - 1);
    std::memcpy(body.data(), text.data(), n);
    return body;
}

std::string_view to_string(PacketType type) {
    switch (type) {
        case PacketType::data: return "DATA";
        case PacketType::ack: return "ACK";
        case PacketType::busy: return "BUSY";
        case PacketType::abort: return "ABORT";
        case PacketType::ackall: return "ACKALL";
        case PacketType::challenge: return "CHALLENGE";
        case PacketType::response: return "RESPONSE";
        case PacketType::debug: return "DEBUG";
        case PacketType::params1:
        case PacketType::params2:
        case PacketType::params3: return "PARAMS";
        case PacketType::version: return "VERSION";
    }
    return "?";
}

}  // namespace afs::rx
