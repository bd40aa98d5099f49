// The byte-level half of XDR: big-endian words, padding, bounds.
#include "libafs/wire/xdr.hpp"

namespace afs::xdr {

void Writer::u32(uint32_t v) {
    if (err_) return;
    for (int shift = 24; shift >= 0; shift -= 8) out_.push_back(std::byte(static_cast<uint8_t>(v >> shift)));
}

void Writer::padded_bytes(std::span<const std::byte> bytes) {
    if (err_) return;
    out_.insert(out_.end(), bytes.begin(), bytes.end());
    out_.resize(out_.size() + (padded_size(bytes.size()) - bytes.size()), std::byte{0});
}

bool Reader::take(size_t n) {
    if (err_) return false;
    if (n > remaining()) {
        fail(errc::truncated);
        return false;
    }
    pos_ += n;
    return true;
}

uint32_t Reader::u32() {
    if (!take(4)) return 0;
    uint32_t v = 0;
    for (size_t i = pos_ - 4; i < pos_; ++i) v = v << 8 | std::to_integer<uint32_t>(in_[i]);
    return v;
}

bool Reader::boolean() {
    const uint32_t v = u32();
    if (v > 1) fail(errc::bad_value);
    return ok() && v == 1;
}

std::span<const std::byte> Reader::padded_bytes(size_t n) {
    // Check the payload and its padding together, so a length near SIZE_MAX cannot wrap.
    if (err_) return {};
    if (n > remaining() || padded_size(n) > remaining()) {
        fail(errc::truncated);
        return {};
    }
    const auto bytes = in_.subspan(pos_, n);
    pos_ += padded_size(n);
    return bytes;
}

void put_char(Writer& w, uint8_t c) {
    // OpenAFS on x86 sign-extends its (signed) chars; so do we, to produce the same bytes.
    w.i32(static_cast<int8_t>(c));
}

uint8_t get_char(Reader& r) {
    const uint32_t v = r.u32();
    // Zero-extended (0..255) or sign-extended (0xFFFFFF80..0xFFFFFFFF): anything else is not
    // a char any implementation sends.
    if (v > 0xFF && v < 0xFFFFFF80u) r.fail(errc::bad_value);
    return r.ok() ? static_cast<uint8_t>(v) : 0;
}

}  // namespace afs::xdr
