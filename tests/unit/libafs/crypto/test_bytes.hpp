// Helpers shared by the crypto tests: byte vectors from hex and back.
#pragma once

#include <cstddef>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace cryptotest {

inline std::vector<std::byte> hex(std::string_view s) {
    std::vector<std::byte> out;
    auto nibble = [](char c) -> int {
        if (c >= '0' && c <= '9') return c - '0';
        if (c >= 'a' && c <= 'f') return c - 'a' + 10;
        if (c >= 'A' && c <= 'F') return c - 'A' + 10;
        return -1;
    };
    int hi = -1;
    for (char c : s) {
        int v = nibble(c);
        if (v < 0) continue;  // spaces and separators
        if (hi < 0) {
            hi = v;
        } else {
            out.push_back(std::byte(static_cast<unsigned char>(hi << 4 | v)));
            hi = -1;
        }
    }
    return out;
}

inline std::string to_hex(std::span<const std::byte> b) {
    static const char* digits = "0123456789abcdef";
    std::string s;
    for (auto x : b) {
        auto v = std::to_integer<unsigned>(x);
        s += digits[v >> 4];
        s += digits[v & 15];
    }
    return s;
}

inline std::vector<std::byte> bytes_of(std::string_view s) {
    auto p = reinterpret_cast<const std::byte*>(s.data());
    return {p, p + s.size()};
}

}  // namespace cryptotest
