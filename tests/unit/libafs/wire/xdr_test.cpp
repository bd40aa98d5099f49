// XDR primitives and adapters: exact bytes, bounds, and what malformed input gives.
#include <doctest/doctest.h>

#include "libafs/wire/xdr.hpp"
#include "wire_test_util.hpp"

using namespace afs;
using namespace wire_test;

namespace {

// A struct exercising every field kind, for round trips and cut-short input.
struct Everything {
    uint32_t u = 0;
    int32_t i = 0;
    uint64_t hyper = 0;
    int64_t signed_hyper = 0;
    bool flag = false;
    uint16_t ushort = 0;
    int16_t sshort = 0;
    uint8_t ch = 0;
    std::string name;
    std::vector<std::byte> blob;
    std::array<std::byte, 5> fixed{};
    std::string chars;
    std::vector<uint32_t> list;
    std::array<int32_t, 2> pair{};
    int32_t count = 0;

    static void xdr(auto& io, auto& self) {
        io(self.u, self.i, self.hyper, self.signed_hyper, self.flag, self.ushort, self.sshort, self.ch,
           xdr::string<10>(self.name), xdr::opaque<8>(self.blob), xdr::fixed_opaque(self.fixed),
           xdr::char_array<6>(self.chars), xdr::array<3>(self.list), self.pair, xdr::in_range<0, 5>(self.count));
    }
    bool operator==(const Everything&) const = default;
};

Everything sample() {
    Everything e;
    e.u = 0xDEADBEEF;
    e.i = -2;
    e.hyper = 0x0102030405060708;
    e.signed_hyper = -3;
    e.flag = true;
    e.ushort = 0xFFFF;
    e.sshort = -5;
    e.ch = 0xE9;
    e.name = "hello";
    e.blob = {std::byte{1}, std::byte{2}, std::byte{3}};
    e.fixed = {std::byte{9}, std::byte{8}, std::byte{7}, std::byte{6}, std::byte{5}};
    e.chars = "abc";
    e.list = {7, 8};
    e.pair = {-1, 1};
    e.count = 5;
    return e;
}

template <class T>
std::error_code decode_error(const Bytes& b) {
    auto r = xdr::decode<T>(b);
    return r ? std::error_code{} : r.error();
}

struct OneString {
    std::string s;
    static void xdr(auto& io, auto& self) { io(xdr::string<4>(self.s)); }
};
struct OneList {
    std::vector<uint32_t> v;
    static void xdr(auto& io, auto& self) { io(xdr::array<3>(self.v)); }
};
struct Key {
    std::array<std::byte, 3> k{};
    int32_t n = 0;
    static void xdr(auto& io, auto& self) { io(xdr::fixed_opaque(self.k), xdr::in_range<-1, 2>(self.n)); }
};
struct Name {
    std::string n;
    static void xdr(auto& io, auto& self) { io(xdr::char_array<4>(self.n)); }
};

}  // namespace

TEST_CASE("integers are big-endian words, 64-bit ones send the high word first") {
    CHECK(*xdr::encode(uint32_t{0x01020304}) == raw({1, 2, 3, 4}));
    CHECK(*xdr::encode(int32_t{-1}) == raw({0xff, 0xff, 0xff, 0xff}));
    CHECK(*xdr::encode(uint64_t{0x0102030405060708}) == raw({1, 2, 3, 4, 5, 6, 7, 8}));
    CHECK(*xdr::encode(int64_t{-2}) == raw({0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfe}));
    CHECK(*xdr::encode(true) == words({1}));
    CHECK(*xdr::encode(false) == words({0}));
    CHECK(*xdr::encode(uint16_t{0xBEEF}) == words({0xBEEF}));
    CHECK(*xdr::encode(int16_t{-2}) == words({0xFFFFFFFE}));
    CHECK(*xdr::decode<uint64_t>(raw({0, 0, 0, 1, 0, 0, 0, 2})) == 0x100000002ull);
    CHECK(*xdr::decode<int32_t>(raw({0x80, 0, 0, 0})) == INT32_MIN);
}

TEST_CASE("chars take a word each: sign-extended out, either extension accepted in") {
    CHECK(*xdr::encode(uint8_t{0x41}) == words({0x41}));
    CHECK(*xdr::encode(uint8_t{0xE9}) == words({0xFFFFFFE9}));
    CHECK(*xdr::decode<uint8_t>(words({0xFFFFFFE9})) == 0xE9);
    CHECK(*xdr::decode<uint8_t>(words({0x000000E9})) == 0xE9);
    CHECK(decode_error<uint8_t>(words({0x100})) == errc::bad_value);
    CHECK(decode_error<uint8_t>(words({0xFFFFFF7F})) == errc::bad_value);
    CHECK(decode_error<uint16_t>(words({0x10000})) == errc::bad_value);
    CHECK(decode_error<int16_t>(words({0x8000})) == errc::bad_value);
    CHECK(*xdr::decode<int16_t>(words({0xFFFF8000})) == INT16_MIN);
    CHECK(decode_error<bool>(words({2})) == errc::bad_value);
}

TEST_CASE("strings: length, bytes, zero padding to a word") {
    CHECK(*xdr::encode(OneString{"abc"}) == raw({0, 0, 0, 3, 'a', 'b', 'c', 0}));
    CHECK(*xdr::encode(OneString{"abcd"}) == raw({0, 0, 0, 4, 'a', 'b', 'c', 'd'}));
    CHECK(*xdr::encode(OneString{""}) == words({0}));
    CHECK(xdr::decode<OneString>(raw({0, 0, 0, 3, 'x', 'y', 'z', 0}))->s == "xyz");

    SUBCASE("a string over its bound is not encoded and leaves the output as it was") {
        std::vector<std::byte> out = raw({0xAA});
        CHECK(xdr::encode(out, OneString{"abcde"}) == errc::too_large);
        CHECK(out == raw({0xAA}));
    }
    SUBCASE("a length over the bound is refused before anything is read") {
        CHECK(decode_error<OneString>(raw({0, 0, 0, 5, 'a', 'b', 'c', 'd', 'e', 0, 0, 0})) == errc::too_large);
        CHECK(decode_error<OneString>(raw({0xff, 0xff, 0xff, 0xff})) == errc::too_large);
    }
    SUBCASE("a length the input cannot hold, or missing padding, is truncation") {
        CHECK(decode_error<OneString>(raw({0, 0, 0, 4, 'a', 'b'})) == errc::truncated);
        CHECK(decode_error<OneString>(raw({0, 0, 0, 3, 'a', 'b', 'c'})) == errc::truncated);
    }
    CHECK(decode_error<OneString>(raw({0, 0, 0, 0, 0})) == errc::trailing_bytes);
}

TEST_CASE("fixed char arrays: one word per char, NUL padded, text ends at the first NUL") {
    CHECK(*xdr::encode(Name{"ab"}) == words({'a', 'b', 0, 0}));
    CHECK(*xdr::encode(Name{"abcd"}) == words({'a', 'b', 'c', 'd'}));  // full: no NUL on the wire
    CHECK(xdr::encode(Name{"abcde"}).error() == errc::too_large);
    CHECK(xdr::encode(Name{std::string("a\0b", 3)}).error() == errc::bad_value);
    CHECK(xdr::decode<Name>(words({'a', 0, 'z', 0}))->n == "a");
    CHECK(xdr::decode<Name>(words({'w', 'x', 'y', 'z'}))->n == "wxyz");
    CHECK(xdr::decode<Name>(words({0xFFFFFFC3, 0xFFFFFFA9, 0, 0}))->n == "\xc3\xa9");
    CHECK(decode_error<Name>(words({'a', 0x1234, 0, 0})) == errc::bad_value);
    CHECK(decode_error<Name>(words({'a', 'b', 0})) == errc::truncated);
}

TEST_CASE("variable arrays: count then elements, count bounded both ways") {
    CHECK(*xdr::encode(OneList{{5, 6}}) == words({2, 5, 6}));
    CHECK(xdr::decode<OneList>(words({0}))->v.empty());
    CHECK(xdr::encode(OneList{{1, 2, 3, 4}}).error() == errc::too_large);
    CHECK(decode_error<OneList>(words({4, 1, 2, 3, 4})) == errc::too_large);
    CHECK(decode_error<OneList>(words({0xFFFFFFFF})) == errc::too_large);
    CHECK(decode_error<OneList>(words({3, 1, 2})) == errc::truncated);
}

TEST_CASE("fixed opaque and ranged ints") {
    Key key;
    key.k = {std::byte{1}, std::byte{2}, std::byte{3}};
    key.n = -1;
    CHECK(*xdr::encode(key) == raw({1, 2, 3, 0, 0xff, 0xff, 0xff, 0xff}));
    key.n = 3;
    CHECK(xdr::encode(key).error() == errc::too_large);
    key.n = -2;
    CHECK(xdr::encode(key).error() == errc::bad_value);
    CHECK(decode_error<Key>(raw({1, 2, 3, 0, 0, 0, 0, 3})) == errc::too_large);
    CHECK(decode_error<Key>(raw({1, 2, 3, 0, 0xff, 0xff, 0xff, 0xfe})) == errc::bad_value);
    auto k = xdr::decode<Key>(raw({7, 8, 9, 0, 0, 0, 0, 2}));
    REQUIRE(k);
    CHECK(k->k[2] == std::byte{9});
    CHECK(k->n == 2);
}

TEST_CASE("a struct's layout drives both directions") {
    const Everything e = sample();
    auto bytes = xdr::encode(e);
    REQUIRE(bytes);
    // scalars 4+4+8+8+4+4+4+4, string 4+8, opaque 4+4, fixed 8, chars 6*4, list 4+8, pair 8, count 4
    CHECK(bytes->size() == 116);
    auto back = xdr::decode<Everything>(*bytes);
    REQUIRE(back);
    CHECK(*back == e);
}

TEST_CASE("input cut short anywhere is an error, and the reader never runs past it") {
    const auto bytes = *xdr::encode(sample());
    for (size_t n = 0; n < bytes.size(); ++n) {
        CAPTURE(n);
        auto r = xdr::decode<Everything>(prefix(bytes, n));
        REQUIRE(!r);
        CHECK(r.error() == errc::truncated);
    }
}

TEST_CASE("the reader's first error sticks") {
    const Bytes b = raw({0, 0, 0, 7, 1});
    xdr::Reader r(b);
    CHECK(r.u32() == 7);
    CHECK(r.u32() == 0);  // only one byte left
    CHECK(r.error() == errc::truncated);
    CHECK(r.boolean() == false);
    CHECK(r.padded_bytes(0).empty());
    CHECK(r.error() == errc::truncated);
    CHECK(r.remaining() == 1);  // a failed read consumes nothing

    const Bytes two = words({2, 1});
    xdr::Reader r2(two);
    CHECK(r2.boolean() == false);
    CHECK(r2.error() == errc::bad_value);
    CHECK(r2.u32() == 0);
    CHECK(r2.error() == errc::bad_value);
}

TEST_CASE("the writer keeps its first error and writes nothing after it") {
    std::vector<std::byte> out;
    xdr::Writer w(out);
    w.u32(1);
    w.fail(errc::too_large);
    w.u32(2);
    w.fail(errc::bad_value);
    CHECK(out == words({1}));
    CHECK(w.error() == errc::too_large);
}
