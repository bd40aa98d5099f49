#include "libafs/rx/jumbo.hpp"

#include <cstring>

#include "byte_order.hpp"

namespace afs::rx {

result<size_t> split_jumbogram(const Header& first, std::span<std::byte> payload, std::span<PacketView> out) {
    Header h = first;
    size_t count = 0;
    size_t pos = 0;
    for (;;) {
        if (count == out.size()) return fail(errc::too_large);
        const bool more = h.has(flag::jumbo_packet);
        h.flags = static_cast<uint8_t>(h.flags & ~flag::jumbo_packet);
        if (!more) {
            out[count++] = PacketView{h, payload.subspan(pos)};
            return count;
        }
        if (payload.size() - pos < jumbo_buffer_size + jumbo_header_size) return fail(errc::truncated);
        out[count++] = PacketView{h, payload.subspan(pos, jumbo_buffer_size)};
        pos += jumbo_buffer_size;
        const std::byte* j = payload.data() + pos;
        pos += jumbo_header_size;
        h.seq += 1;
        h.serial += 1;
        h.user_status = 0;
        h.flags = std::to_integer<uint8_t>(j[0]);
        h.checksum = detail::load_be16(j + 2);
    }
}

void encode_jumbo_header(uint8_t flags, uint16_t checksum, std::span<std::byte, jumbo_header_size> out) {
    out[0] = std::byte(flags);
    out[1] = std::byte{0};
    detail::store_be16(out.data() + 2, checksum);
}

std::error_code build_jumbogram(const Header& first, std::span<const JumboPart> parts, std::vector<std::byte>& out) {
    if (parts.empty()) return errc::bad_value;
    if (parts.size() > max_packets_per_datagram) return errc::too_large;
    for (size_t i = 0; i + 1 < parts.size(); ++i)
        if (parts[i].data.size() != jumbo_buffer_size) return errc::bad_value;
    size_t size = header_size;
    for (size_t i = 0; i < parts.size(); ++i) size += parts[i].data.size() + (i ? jumbo_header_size : 0);
    out.resize(size);
    Header h = first;
    const bool several = parts.size() > 1;
    h.flags = static_cast<uint8_t>(parts[0].flags | (several ? flag::jumbo_packet : 0));
    h.checksum = parts[0].checksum;
    encode_header(h, std::span<std::byte, header_size>(out.data(), header_size));
    size_t pos = header_size;
    for (size_t i = 0; i < parts.size(); ++i) {
        if (i) {
            const bool more = i + 1 < parts.size();
            encode_jumbo_header(static_cast<uint8_t>(parts[i].flags | (more ? flag::jumbo_packet : 0)),
                                parts[i].checksum, std::span<std::byte, jumbo_header_size>(out.data() + pos, 4));
            pos += jumbo_header_size;
        }
        if (!parts[i].data.empty()) std::memcpy(out.data() + pos, parts[i].data.data(), parts[i].data.size());
        pos += parts[i].data.size();
    }
    return {};
}

}  // namespace afs::rx
