// Big-endian helpers for building packets by hand in tests.
#pragma once

#include <cstddef>
#include <cstdint>

namespace cryptotest {

inline void put_be32(std::byte* p, uint32_t v) {
    for (int i = 0; i < 4; ++i) p[i] = std::byte(static_cast<uint8_t>(v >> (24 - 8 * i)));
}

inline uint32_t get_be32(const std::byte* p) {
    uint32_t v = 0;
    for (int i = 0; i < 4; ++i) v = v << 8 | std::to_integer<uint8_t>(p[i]);
    return v;
}

}  // namespace cryptotest
