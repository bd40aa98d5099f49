// Helpers of the shared AFS structures that are more than one line.
#include "libafs/wire/types.hpp"

#include <cstdio>

namespace afs::wire {

std::error_code AFSFetchStatus::error() const {
    if (error_code == 0) return {};
    return abort_error(static_cast<int32_t>(error_code));
}

std::string afsUUID::to_string() const {
    char buf[37];
    std::snprintf(buf, sizeof buf, "%08x-%04x-%04x-%02x%02x-%02x%02x%02x%02x%02x%02x", time_low, unsigned{time_mid},
                  unsigned{time_hi_and_version}, unsigned{clock_seq_hi_and_reserved}, unsigned{clock_seq_low},
                  unsigned{node[0]}, unsigned{node[1]}, unsigned{node[2]}, unsigned{node[3]}, unsigned{node[4]},
                  unsigned{node[5]});
    return buf;
}

namespace {

int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

}  // namespace

std::optional<afsUUID> afsUUID::parse(std::string_view text) {
    // 8-4-4-4-12 hex digits: collect the 16 bytes, then split them into the fields.
    if (text.size() != 36) return std::nullopt;
    std::array<uint8_t, 16> b{};
    size_t n = 0;
    for (size_t i = 0; i < text.size();) {
        if (i == 8 || i == 13 || i == 18 || i == 23) {
            if (text[i] != '-') return std::nullopt;
            ++i;
            continue;
        }
        const int hi = hex_value(text[i]), lo = hex_value(text[i + 1]);
        if (hi < 0 || lo < 0) return std::nullopt;
        b[n++] = static_cast<uint8_t>(hi << 4 | lo);
        i += 2;
    }
    afsUUID u;
    u.time_low = uint32_t{b[0]} << 24 | uint32_t{b[1]} << 16 | uint32_t{b[2]} << 8 | b[3];
    u.time_mid = static_cast<uint16_t>(b[4] << 8 | b[5]);
    u.time_hi_and_version = static_cast<uint16_t>(b[6] << 8 | b[7]);
    u.clock_seq_hi_and_reserved = b[8];
    u.clock_seq_low = b[9];
    for (size_t i = 0; i < 6; ++i) u.node[i] = b[10 + i];
    return u;
}

afsUUID afsUUID::from_random_bytes(std::span<const uint8_t, 16> r) {
    afsUUID u;
    u.time_low = uint32_t{r[0]} << 24 | uint32_t{r[1]} << 16 | uint32_t{r[2]} << 8 | r[3];
    u.time_mid = static_cast<uint16_t>(r[4] << 8 | r[5]);
    // RFC 4122: version 4 in the top nibble, variant 10xx in the clock sequence.
    u.time_hi_and_version = static_cast<uint16_t>(((r[6] << 8 | r[7]) & 0x0FFF) | 0x4000);
    u.clock_seq_hi_and_reserved = static_cast<uint8_t>((r[8] & 0x3F) | 0x80);
    u.clock_seq_low = r[9];
    for (size_t i = 0; i < 6; ++i) u.node[i] = r[10 + i];
    return u;
}

result<interfaceAddr> make_interface_addr(const afsUUID& uuid, std::span<const Interface> interfaces) {
    if (interfaces.size() > afs_max_interface_addr) return fail(errc::too_large);
    interfaceAddr a;
    a.number_of_interfaces = static_cast<int32_t>(interfaces.size());
    a.uuid = uuid;
    for (size_t i = 0; i < interfaces.size(); ++i) {
        a.addr_in[i] = interfaces[i].ipv4;
        a.subnetmask[i] = interfaces[i].netmask;
        a.mtu[i] = interfaces[i].mtu;
    }
    return a;
}

}  // namespace afs::wire
