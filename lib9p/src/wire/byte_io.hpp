// Little-endian field readers and writers over byte buffers, shared by the codec.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <string>
#include <vector>

#include "lib9p/error.hpp"
#include "lib9p/message.hpp"

namespace p9::wire {

class Writer {
public:
    explicit Writer(std::vector<std::byte>& out) : out_(out) {}

    void u8(uint8_t v) { out_.push_back(std::byte{v}); }
    void u16(uint16_t v) { le(v, 2); }
    void u32(uint32_t v) { le(v, 4); }
    void u64(uint64_t v) { le(v, 8); }
    void raw(std::span<const std::byte> b) { out_.insert(out_.end(), b.begin(), b.end()); }
    size_t size() const { return out_.size(); }
    // Overwrites a u32 written earlier (the frame's size field).
    void patch_u32(size_t at, uint32_t v) {
        for (int i = 0; i < 4; ++i) out_[at + i] = std::byte(static_cast<uint8_t>(v >> (8 * i)));
    }

private:
    void le(uint64_t v, int n) {
        for (int i = 0; i < n; ++i) out_.push_back(std::byte(static_cast<uint8_t>(v >> (8 * i))));
    }
    std::vector<std::byte>& out_;
};

// A bounds-checked cursor. Every read checks the remaining length first; after the first
// failure the reader stays failed and every later read returns zero values.
class Reader {
public:
    explicit Reader(std::span<const std::byte> in) : in_(in) {}

    bool ok() const { return !err_; }
    std::error_code error() const { return err_; }
    size_t remaining() const { return in_.size() - pos_; }
    void fail(errc e) {
        if (!err_) err_ = make_error_code(e);
    }

    uint8_t u8() { return static_cast<uint8_t>(le(1)); }
    uint16_t u16() { return static_cast<uint16_t>(le(2)); }
    uint32_t u32() { return static_cast<uint32_t>(le(4)); }
    uint64_t u64() { return le(8); }
    std::span<const std::byte> raw(size_t n) {
        if (!take(n)) return {};
        auto s = in_.subspan(pos_ - n, n);
        return s;
    }

private:
    bool take(size_t n) {
        if (err_) return false;
        if (n > remaining()) {
            fail(errc::truncated);
            return false;
        }
        pos_ += n;
        return true;
    }
    uint64_t le(size_t n) {
        if (!take(n)) return 0;
        uint64_t v = 0;
        for (size_t i = 0; i < n; ++i) v |= uint64_t(std::to_integer<uint8_t>(in_[pos_ - n + i])) << (8 * i);
        return v;
    }
    std::span<const std::byte> in_;
    size_t pos_ = 0;
    std::error_code err_;
};

// Field codecs. encode_field returns false when the value cannot be represented.
inline bool encode_field(Writer& w, uint8_t v) { return w.u8(v), true; }
inline bool encode_field(Writer& w, uint16_t v) { return w.u16(v), true; }
inline bool encode_field(Writer& w, uint32_t v) { return w.u32(v), true; }
inline bool encode_field(Writer& w, uint64_t v) { return w.u64(v), true; }
inline bool encode_field(Writer& w, const Qid& q) {
    w.u8(q.type);
    w.u32(q.version);
    w.u64(q.path);
    return true;
}

inline void decode_field(Reader& r, uint8_t& v) { v = r.u8(); }
inline void decode_field(Reader& r, uint16_t& v) { v = r.u16(); }
inline void decode_field(Reader& r, uint32_t& v) { v = r.u32(); }
inline void decode_field(Reader& r, uint64_t& v) { v = r.u64(); }
inline void decode_field(Reader& r, Qid& q) {
    q.type = r.u8();
    q.version = r.u32();
    q.path = r.u64();
}
inline void decode_field(Reader& r, std::string& s) {
    uint16_t n = r.u16();
    auto b = r.raw(n);
    s.assign(reinterpret_cast<const char*>(b.data()), b.size());
}
inline void decode_field(Reader& r, Bytes& b) {
    uint32_t n = r.u32();
    b.view = r.raw(n);
}

}  // namespace p9::wire
