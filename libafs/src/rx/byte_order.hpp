// Big-endian loads and stores over byte spans: Rx puts every multi-byte field in network
// order. Callers check lengths first; these helpers do no bounds checking of their own.
#pragma once

#include <cstddef>
#include <cstdint>

namespace afs::rx::detail {

inline uint16_t load_be16(const std::byte* p) {
    return static_cast<uint16_t>((std::to_integer<uint16_t>(p[0]) << 8) | std::to_integer<uint16_t>(p[1]));
}

inline uint32_t load_be32(const std::byte* p) {
    return (std::to_integer<uint32_t>(p[0]) << 24) | (std::to_integer<uint32_t>(p[1]) << 16) |
           (std::to_integer<uint32_t>(p[2]) << 8) | std::to_integer<uint32_t>(p[3]);
}

inline void store_be16(std::byte* p, uint16_t v) {
    p[0] = std::byte(static_cast<uint8_t>(v >> 8));
    p[1] = std::byte(static_cast<uint8_t>(v));
}

inline void store_be32(std::byte* p, uint32_t v) {
    p[0] = std::byte(static_cast<uint8_t>(v >> 24));
    p[1] = std::byte(static_cast<uint8_t>(v >> 16));
    p[2] = std::byte(static_cast<uint8_t>(v >> 8));
    p[3] = std::byte(static_cast<uint8_t>(v));
}

}  // namespace afs::rx::detail
