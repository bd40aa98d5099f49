// XDR as rxgen writes it: big-endian 4-byte units, no self-description.
//
// A struct's wire layout is written once, as a static member template
//
//     static void xdr(auto& io, auto& self) { io(self.volume, self.vnode, self.unique); }
//
// that lists its fields in wire order. The same function drives encoding (io is an
// encoder, self is const) and decoding (io is a decoder, self is mutable). Plain members
// of type uint32_t, int32_t, uint64_t, int64_t, bool, uint16_t, int16_t, uint8_t,
// std::array<T, N> and nested layout structs need no annotation. Everything whose wire form
// needs a bound says so with an adapter:
//
//     xdr::string<256>(self.name)       string<256>: length, bytes, zero pad; len > 256 is an error
//     xdr::opaque<1024>(self.acl)       opaque<1024>: same, over std::string or std::vector<std::byte>
//     xdr::fixed_opaque(self.key)       opaque[N] over std::array<std::byte, N>: N bytes, zero pad
//     xdr::char_array<65>(self.name)    char[65]: 65 words, one char per word, NUL padded
//     xdr::array<50>(self.fids)         T<50>: count, then count elements; count > 50 is an error
//     xdr::in_range<0, 13>(self.n)      an int32 whose value must lie in [0, 13]
//
// std::string and std::vector have no implicit encoding on purpose: a field without its
// bound does not compile.
//
// Decoding never reads outside the span it is given. Errors are sticky: after the first
// failure every further read yields zeros and the first error is reported.
// 8- and 16-bit fields are one word each. Signed 8-bit C `char` fields (afsUUID bytes, VL
// names) are sign-extended on the wire by OpenAFS on x86; we do the same when encoding and
// accept both sign- and zero-extended forms when decoding.
#pragma once

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "libafs/error.hpp"

namespace afs::xdr {

// Bytes rounded up to whole 4-byte units.
constexpr size_t padded_size(size_t n) { return (n + 3) & ~size_t{3}; }

// Appends XDR units to a byte vector. After fail() it ignores further writes.
class Writer {
public:
    explicit Writer(std::vector<std::byte>& out) : out_(out) {}

    void u32(uint32_t v);
    void i32(int32_t v) { u32(static_cast<uint32_t>(v)); }
    void u64(uint64_t v) {
        u32(static_cast<uint32_t>(v >> 32));
        u32(static_cast<uint32_t>(v));
    }
    void i64(int64_t v) { u64(static_cast<uint64_t>(v)); }
    void boolean(bool v) { u32(v ? 1u : 0u); }
    // `bytes` followed by zero padding to a multiple of 4.
    void padded_bytes(std::span<const std::byte> bytes);

    void fail(errc e) {
        if (!err_) err_ = make_error_code(e);
    }
    bool ok() const { return !err_; }
    std::error_code error() const { return err_; }

private:
    std::vector<std::byte>& out_;
    std::error_code err_;
};

// A bounds-checked cursor over one span.
class Reader {
public:
    explicit Reader(std::span<const std::byte> in) : in_(in) {}

    uint32_t u32();
    int32_t i32() { return static_cast<int32_t>(u32()); }
    uint64_t u64() {
        const uint64_t hi = u32();
        return hi << 32 | u32();
    }
    int64_t i64() { return static_cast<int64_t>(u64()); }
    // Strict: only 0 and 1 are booleans.
    bool boolean();
    // `n` bytes, then the padding to a multiple of 4 is skipped (its content is not checked:
    // rxgen does not check it either). Empty on failure.
    std::span<const std::byte> padded_bytes(size_t n);

    size_t remaining() const { return in_.size() - pos_; }
    size_t position() const { return pos_; }
    bool ok() const { return !err_; }
    std::error_code error() const { return err_; }
    void fail(errc e) {
        if (!err_) err_ = make_error_code(e);
    }

private:
    bool take(size_t n);
    std::span<const std::byte> in_;
    size_t pos_ = 0;
    std::error_code err_;
};

// ---------------------------------------------------------------------------------------
// Adapters: references to a member plus the bound its wire form needs. S / V / A / I are
// const-qualified when encoding and mutable when decoding.

template <size_t Max, class S> struct StringField { S& value; };
template <size_t Max, class S> struct OpaqueField { S& value; };
template <size_t N, class S> struct CharArrayField { S& value; };
template <size_t Max, class V> struct ArrayField { V& value; };
template <class A> struct FixedOpaqueField { A& value; };
template <int64_t Lo, int64_t Hi, class I> struct RangeField { I& value; };

template <size_t Max, class S> StringField<Max, S> string(S& s) { return {s}; }
template <size_t Max, class S> OpaqueField<Max, S> opaque(S& s) { return {s}; }
template <size_t N, class S> CharArrayField<N, S> char_array(S& s) { return {s}; }
template <size_t Max, class V> ArrayField<Max, V> array(V& v) { return {v}; }
template <class A> FixedOpaqueField<A> fixed_opaque(A& a) { return {a}; }
template <int64_t Lo, int64_t Hi, class I> RangeField<Lo, Hi, I> in_range(I& v) { return {v}; }

// A struct with no fields (the arguments or results of RPCs that carry none).
struct Empty {
    static void xdr(auto&, auto&) {}
    bool operator==(const Empty&) const = default;
};

// ---------------------------------------------------------------------------------------
// Codec<T>: how one field kind is written and read. The primary template handles structs
// with a layout; the specialisations below handle everything else.

template <class T> struct Codec;

class Encoder {
public:
    explicit Encoder(Writer& w) : w_(w) {}
    template <class... F> void operator()(const F&... fields) { (Codec<F>::put(w_, fields), ...); }

private:
    Writer& w_;
};

class Decoder {
public:
    explicit Decoder(Reader& r) : r_(r) {}
    template <class... F> void operator()(F&&... fields) { (Codec<std::remove_cvref_t<F>>::get(r_, fields), ...); }

private:
    Reader& r_;
};

// Accepts any field list; used only to ask whether a type has a layout.
struct LayoutProbe {
    template <class... F> void operator()(F&&...) {}
};

template <class T>
concept has_layout = requires(LayoutProbe& p, T& v) { T::xdr(p, v); };

template <class T> struct Codec {
    static_assert(has_layout<T>, "no XDR encoding for this type: give it a static xdr() layout, "
                                 "or wrap it in an adapter that states its bound (xdr::string<N> ...)");
    static void put(Writer& w, const T& v) {
        Encoder e(w);
        T::xdr(e, v);
    }
    static void get(Reader& r, T& v) {
        Decoder d(r);
        T::xdr(d, v);
    }
};

template <> struct Codec<uint32_t> {
    static void put(Writer& w, uint32_t v) { w.u32(v); }
    static void get(Reader& r, uint32_t& v) { v = r.u32(); }
};
template <> struct Codec<int32_t> {
    static void put(Writer& w, int32_t v) { w.i32(v); }
    static void get(Reader& r, int32_t& v) { v = r.i32(); }
};
template <> struct Codec<uint64_t> {
    static void put(Writer& w, uint64_t v) { w.u64(v); }
    static void get(Reader& r, uint64_t& v) { v = r.u64(); }
};
template <> struct Codec<int64_t> {
    static void put(Writer& w, int64_t v) { w.i64(v); }
    static void get(Reader& r, int64_t& v) { v = r.i64(); }
};
template <> struct Codec<bool> {
    static void put(Writer& w, bool v) { w.boolean(v); }
    static void get(Reader& r, bool& v) { v = r.boolean(); }
};
// u_short: zero-extended; a word above 0xFFFF is not a u_short.
template <> struct Codec<uint16_t> {
    static void put(Writer& w, uint16_t v) { w.u32(v); }
    static void get(Reader& r, uint16_t& v) {
        const uint32_t x = r.u32();
        if (x > 0xFFFF) r.fail(errc::bad_value);
        v = static_cast<uint16_t>(r.ok() ? x : 0);
    }
};
// short: sign-extended.
template <> struct Codec<int16_t> {
    static void put(Writer& w, int16_t v) { w.i32(v); }
    static void get(Reader& r, int16_t& v) {
        const int32_t x = r.i32();
        if (x < std::numeric_limits<int16_t>::min() || x > std::numeric_limits<int16_t>::max())
            r.fail(errc::bad_value);
        v = static_cast<int16_t>(r.ok() ? x : 0);
    }
};

// One C `char` in one word (see the top of this file).
void put_char(Writer& w, uint8_t c);
uint8_t get_char(Reader& r);

template <> struct Codec<uint8_t> {
    static void put(Writer& w, uint8_t v) { put_char(w, v); }
    static void get(Reader& r, uint8_t& v) { v = get_char(r); }
};

template <class T, size_t N> struct Codec<std::array<T, N>> {
    static void put(Writer& w, const std::array<T, N>& a) {
        for (const T& e : a) Codec<T>::put(w, e);
    }
    static void get(Reader& r, std::array<T, N>& a) {
        for (T& e : a) Codec<T>::get(r, e);
    }
};

namespace detail {
inline std::span<const std::byte> bytes_of(const std::string& s) { return std::as_bytes(std::span(s.data(), s.size())); }
inline std::span<const std::byte> bytes_of(const std::vector<std::byte>& v) { return v; }
inline void assign(std::string& s, std::span<const std::byte> b) {
    s.assign(reinterpret_cast<const char*>(b.data()), b.size());
}
inline void assign(std::vector<std::byte>& v, std::span<const std::byte> b) { v.assign(b.begin(), b.end()); }

template <size_t Max, class S> void put_counted(Writer& w, const S& s) {
    const auto b = bytes_of(s);
    if (b.size() > Max) return w.fail(errc::too_large);
    w.u32(static_cast<uint32_t>(b.size()));
    w.padded_bytes(b);
}
template <size_t Max, class S> void get_counted(Reader& r, S& s) {
    const uint32_t n = r.u32();
    if (!r.ok()) return;
    if (n > Max) return r.fail(errc::too_large);
    assign(s, r.padded_bytes(n));
}
}  // namespace detail

template <size_t Max, class S> struct Codec<StringField<Max, S>> {
    static void put(Writer& w, const StringField<Max, S>& f) { detail::put_counted<Max>(w, f.value); }
    static void get(Reader& r, const StringField<Max, S>& f) { detail::get_counted<Max>(r, f.value); }
};
template <size_t Max, class S> struct Codec<OpaqueField<Max, S>> {
    static void put(Writer& w, const OpaqueField<Max, S>& f) { detail::put_counted<Max>(w, f.value); }
    static void get(Reader& r, const OpaqueField<Max, S>& f) { detail::get_counted<Max>(r, f.value); }
};

template <class A> struct Codec<FixedOpaqueField<A>> {
    static void put(Writer& w, const FixedOpaqueField<A>& f) { w.padded_bytes(f.value); }
    static void get(Reader& r, const FixedOpaqueField<A>& f) {
        const auto b = r.padded_bytes(f.value.size());
        if (r.ok()) std::copy(b.begin(), b.end(), f.value.begin());
    }
};

// char[N]: N words. Encoding needs the text to fit (a name of exactly N chars goes without
// its NUL) and to hold no NUL of its own; decoding keeps the chars before the first NUL.
template <size_t N, class S> struct Codec<CharArrayField<N, S>> {
    static void put(Writer& w, const CharArrayField<N, S>& f) {
        const std::string_view s = f.value;
        if (s.size() > N) return w.fail(errc::too_large);
        if (s.find('\0') != std::string_view::npos) return w.fail(errc::bad_value);
        for (size_t i = 0; i < N; ++i) put_char(w, i < s.size() ? static_cast<uint8_t>(s[i]) : 0);
    }
    static void get(Reader& r, const CharArrayField<N, S>& f) {
        f.value.clear();
        bool ended = false;
        for (size_t i = 0; i < N && r.ok(); ++i) {
            const uint8_t c = get_char(r);
            if (c == 0) ended = true;
            if (!ended && r.ok()) f.value.push_back(static_cast<char>(c));
        }
        if (!r.ok()) f.value.clear();
    }
};

template <size_t Max, class V> struct Codec<ArrayField<Max, V>> {
    using T = typename std::remove_const_t<V>::value_type;
    static void put(Writer& w, const ArrayField<Max, V>& f) {
        if (f.value.size() > Max) return w.fail(errc::too_large);
        w.u32(static_cast<uint32_t>(f.value.size()));
        for (const T& e : f.value) Codec<T>::put(w, e);
    }
    static void get(Reader& r, const ArrayField<Max, V>& f) {
        f.value.clear();
        const uint32_t n = r.u32();
        if (!r.ok()) return;
        if (n > Max) return r.fail(errc::too_large);
        // Every element is at least one word: a count the input cannot hold is a lie, caught
        // before anything is allocated.
        if (size_t{n} * 4 > r.remaining()) return r.fail(errc::truncated);
        f.value.resize(n);
        for (T& e : f.value) {
            Codec<T>::get(r, e);
            if (!r.ok()) break;
        }
        if (!r.ok()) f.value.clear();
    }
};

template <int64_t Lo, int64_t Hi, class I> struct Codec<RangeField<Lo, Hi, I>> {
    static_assert(std::is_same_v<std::remove_const_t<I>, int32_t>, "in_range is for int32 fields");
    static void put(Writer& w, const RangeField<Lo, Hi, I>& f) {
        if (f.value < Lo) return w.fail(errc::bad_value);
        if (f.value > Hi) return w.fail(errc::too_large);
        w.i32(f.value);
    }
    static void get(Reader& r, const RangeField<Lo, Hi, I>& f) {
        const int32_t v = r.i32();
        if (!r.ok()) return;
        if (v < Lo) return r.fail(errc::bad_value);
        if (v > Hi) return r.fail(errc::too_large);
        f.value = v;
    }
};

// ---------------------------------------------------------------------------------------
// Entry points.

template <class T> void write(Writer& w, const T& v) { Codec<T>::put(w, v); }
template <class T> void read(Reader& r, T& v) { Codec<T>::get(r, v); }

// Appends v to out. On failure out is left as it was.
template <class T> [[nodiscard]] std::error_code encode(std::vector<std::byte>& out, const T& v) {
    const size_t start = out.size();
    Writer w(out);
    write(w, v);
    if (!w.ok()) out.resize(start);
    return w.error();
}

template <class T> [[nodiscard]] result<std::vector<std::byte>> encode(const T& v) {
    std::vector<std::byte> out;
    if (auto ec = encode(out, v)) return fail(ec);
    return out;
}

// Decodes exactly one T from `in`: bytes left over are an error (errc::trailing_bytes).
template <class T> [[nodiscard]] result<T> decode(std::span<const std::byte> in) {
    Reader r(in);
    T v{};
    read(r, v);
    if (!r.ok()) return fail(r.error());
    if (r.remaining() != 0) return fail(errc::trailing_bytes);
    return v;
}

}  // namespace afs::xdr
