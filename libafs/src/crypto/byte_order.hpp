// Big-endian field access for the rxkad structures (everything rxkad puts on the wire is
// in network order), and a bounds-checked reader for parsing untrusted bytes.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "libafs/error.hpp"

namespace afs::crypto::detail {

inline uint32_t load_be32(const std::byte* p) noexcept {
    return uint32_t(std::to_integer<uint8_t>(p[0])) << 24 | uint32_t(std::to_integer<uint8_t>(p[1])) << 16 |
           uint32_t(std::to_integer<uint8_t>(p[2])) << 8 | uint32_t(std::to_integer<uint8_t>(p[3]));
}

inline void store_be32(std::byte* p, uint32_t v) noexcept {
    p[0] = std::byte(static_cast<uint8_t>(v >> 24));
    p[1] = std::byte(static_cast<uint8_t>(v >> 16));
    p[2] = std::byte(static_cast<uint8_t>(v >> 8));
    p[3] = std::byte(static_cast<uint8_t>(v));
}

inline void append_be32(std::vector<std::byte>& out, uint32_t v) {
    // resize-and-store rather than insert: GCC 12 at -O3 misreports small inserts into a
    // vector that may be empty as buffer overflows (-Wstringop-overflow).
    out.resize(out.size() + 4);
    store_be32(out.data() + out.size() - 4, v);
}

// A cursor over untrusted input. Every read checks the remaining length first; after the
// first failure the reader stays failed and later reads return zero values, so a parser
// can read a whole structure and check ok() once.
class Reader {
public:
    explicit Reader(std::span<const std::byte> in) : in_(in) {}

    bool ok() const { return ok_; }
    size_t remaining() const { return in_.size() - pos_; }
    size_t position() const { return pos_; }

    uint8_t u8() {
        if (!take(1)) return 0;
        return std::to_integer<uint8_t>(in_[pos_ - 1]);
    }
    uint32_t be32() {
        if (!take(4)) return 0;
        return load_be32(in_.data() + pos_ - 4);
    }
    std::span<const std::byte> raw(size_t n) {
        if (!take(n)) return {};
        return in_.subspan(pos_ - n, n);
    }
    // A NUL-terminated string of at most `max_len` characters (the NUL not counted).
    // Fails if no NUL comes within max_len + 1 bytes or the string is shorter than min_len.
    std::string cstring(size_t min_len, size_t max_len) {
        if (!ok_) return {};
        size_t limit = std::min(remaining(), max_len + 1);
        for (size_t i = 0; i < limit; ++i) {
            if (in_[pos_ + i] == std::byte{0}) {
                if (i < min_len) break;
                std::string s(reinterpret_cast<const char*>(in_.data() + pos_), i);
                pos_ += i + 1;
                return s;
            }
        }
        ok_ = false;
        return {};
    }

private:
    bool take(size_t n) {
        if (!ok_ || n > remaining()) {
            ok_ = false;
            return false;
        }
        pos_ += n;
        return true;
    }
    std::span<const std::byte> in_;
    size_t pos_ = 0;
    bool ok_ = true;
};

}  // namespace afs::crypto::detail
