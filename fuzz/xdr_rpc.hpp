// Round-trip checks shared by the XDR harnesses (xdr_vl, xdr_fs, xdr_cb).
//
// The first input byte picks an RPC of the list and whether the rest is its request
// (opcode included) or its reply. What decodes must encode, to as many bytes as it came
// in (XDR has one size per value even where it accepts two spellings: padding content,
// sign- or zero-extended chars), and decode again to an equal value.
#pragma once

#include <cstddef>
#include <span>
#include <tuple>

#include "fuzz_common.hpp"
#include "libafs/wire/rpc.hpp"

namespace netcp_fuzz {

template <class T>
const T* roundtrip_xdr(std::span<const std::byte> in, T& storage) {
    auto v = afs::xdr::decode<T>(in);
    if (!v) return nullptr;
    auto enc = afs::xdr::encode(*v);
    FUZZ_CHECK(enc.has_value());
    FUZZ_CHECK(enc->size() == in.size());
    auto again = afs::xdr::decode<T>(*enc);
    FUZZ_CHECK(again.has_value());
    FUZZ_CHECK(*again == *v);
    storage = std::move(*v);
    return &storage;
}

template <afs::wire::rpc R>
const typename R::Request* roundtrip_request(std::span<const std::byte> in, typename R::Request& storage) {
    auto v = afs::wire::decode_request<R>(in);
    if (!v) return nullptr;
    auto enc = afs::wire::encode_request<R>(*v);
    FUZZ_CHECK(enc.has_value());
    FUZZ_CHECK(enc->size() == in.size());
    auto again = afs::wire::decode_request<R>(*enc);
    FUZZ_CHECK(again.has_value());
    FUZZ_CHECK(*again == *v);
    storage = std::move(*v);
    return &storage;
}

template <afs::wire::rpc R>
const typename R::Reply* roundtrip_reply(std::span<const std::byte> in, typename R::Reply& storage) {
    auto v = afs::wire::decode_reply<R>(in);
    if (!v) return nullptr;
    auto enc = afs::wire::encode_reply<R>(*v);
    FUZZ_CHECK(enc.has_value());
    FUZZ_CHECK(enc->size() == in.size());
    auto again = afs::wire::decode_reply<R>(*enc);
    FUZZ_CHECK(again.has_value());
    FUZZ_CHECK(*again == *v);
    storage = std::move(*v);
    return &storage;
}

// Hooks a harness may specialise to look further into a decoded value.
template <class T> void inspect(const T&) {}

template <afs::wire::rpc R> void one_rpc(bool reply, std::span<const std::byte> in) {
    if (reply) {
        typename R::Reply r{};
        if (auto* p = roundtrip_reply<R>(in, r)) inspect(*p);
    } else {
        typename R::Request r{};
        if (auto* p = roundtrip_request<R>(in, r)) inspect(*p);
    }
}

// Runs one_rpc for the RPC the selector byte picks among Rs.
template <afs::wire::rpc... Rs> void dispatch_rpc(const uint8_t* data, size_t size) {
    if (size == 0) return;
    constexpr size_t n = sizeof...(Rs);
    const size_t pick = data[0] >> 1;
    const bool reply = data[0] & 1;
    auto rest = bytes(data + 1, size - 1);
    size_t i = 0;
    ((pick % n == i++ ? one_rpc<Rs>(reply, rest) : void()), ...);
}

}  // namespace netcp_fuzz
