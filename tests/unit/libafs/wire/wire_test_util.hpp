// Building expected wire bytes by hand, word by word, from the documented layouts.
#pragma once

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <span>
#include <string_view>
#include <vector>

namespace wire_test {

using Bytes = std::vector<std::byte>;

// Big-endian 4-byte words.
inline Bytes words(std::initializer_list<uint32_t> ws) {
    Bytes out;
    for (uint32_t w : ws)
        for (int shift = 24; shift >= 0; shift -= 8) out.push_back(std::byte(static_cast<uint8_t>(w >> shift)));
    return out;
}

inline Bytes raw(std::initializer_list<int> bs) {
    Bytes out;
    for (int b : bs) out.push_back(std::byte(static_cast<uint8_t>(b)));
    return out;
}

// XDR string/opaque: length word, bytes, zero padding.
inline Bytes xdr_string(std::string_view s) {
    Bytes out = words({static_cast<uint32_t>(s.size())});
    for (char c : s) out.push_back(std::byte(static_cast<uint8_t>(c)));
    while (out.size() % 4) out.push_back(std::byte{0});
    return out;
}

// A fixed char[n] array: one word per char, sign-extended, NUL padded.
inline Bytes char_words(std::string_view s, size_t n) {
    Bytes out;
    for (size_t i = 0; i < n; ++i) {
        const int8_t c = i < s.size() ? static_cast<int8_t>(s[i]) : 0;
        const Bytes w = words({static_cast<uint32_t>(static_cast<int32_t>(c))});
        out.insert(out.end(), w.begin(), w.end());
    }
    return out;
}

// `count` copies of one word.
inline Bytes repeat(uint32_t w, size_t count) {
    Bytes out;
    for (size_t i = 0; i < count; ++i) {
        const Bytes b = words({w});
        out.insert(out.end(), b.begin(), b.end());
    }
    return out;
}

inline Bytes cat(std::initializer_list<Bytes> parts) {
    Bytes out;
    for (const auto& p : parts) out.insert(out.end(), p.begin(), p.end());
    return out;
}

inline Bytes prefix(const Bytes& b, size_t n) { return Bytes(b.begin(), b.begin() + static_cast<std::ptrdiff_t>(n)); }

}  // namespace wire_test
