// Framing of one rxgen RPC in an Rx call's byte stream.
//
// Each RPC is described by a struct (vl.hpp, fs.hpp, cb.hpp) with
//     static constexpr uint32_t opcode;   static constexpr std::string_view name;
//     struct Request { ... xdr layout ... };  struct Reply { ... xdr layout ... };
// A request is the opcode word followed by the IN arguments; a reply is the OUT arguments
// alone (an error travels as an Rx ABORT, never in the reply). The four functions below
// work for every RPC in both directions: a client encodes requests and decodes replies, a
// server (our callback service, or a fake server in tests) does the opposite.
//
// Split RPCs (FetchData, StoreData and their 64-bit forms) carry raw bulk data between the
// arguments and the results; see fs.hpp for how their pieces are framed.
#pragma once

#include <concepts>
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "libafs/wire/xdr.hpp"

namespace afs::wire {

template <class R>
concept rpc = requires {
    { R::opcode } -> std::convertible_to<uint32_t>;
    { R::name } -> std::convertible_to<std::string_view>;
    typename R::Request;
    typename R::Reply;
};

// The opcode word at the start of a request.
[[nodiscard]] result<uint32_t> opcode_of(std::span<const std::byte> request);

// Appends opcode + arguments to `out` (left as it was on failure).
template <rpc R> [[nodiscard]] std::error_code encode_request(std::vector<std::byte>& out, const typename R::Request& req) {
    const size_t start = out.size();
    xdr::Writer w(out);
    w.u32(R::opcode);
    xdr::write(w, req);
    if (!w.ok()) out.resize(start);
    return w.error();
}

template <rpc R> [[nodiscard]] result<std::vector<std::byte>> encode_request(const typename R::Request& req) {
    std::vector<std::byte> out;
    if (auto ec = encode_request<R>(out, req)) return fail(ec);
    return out;
}

// Decodes a whole request, opcode included; an opcode other than R's is errc::bad_value.
template <rpc R> [[nodiscard]] result<typename R::Request> decode_request(std::span<const std::byte> request) {
    xdr::Reader r(request);
    const uint32_t op = r.u32();
    if (!r.ok()) return fail(r.error());
    if (op != R::opcode) return fail(errc::bad_value);
    typename R::Request req{};
    xdr::read(r, req);
    if (!r.ok()) return fail(r.error());
    if (r.remaining() != 0) return fail(errc::trailing_bytes);
    return req;
}

template <rpc R> [[nodiscard]] std::error_code encode_reply(std::vector<std::byte>& out, const typename R::Reply& reply) {
    return xdr::encode(out, reply);
}

template <rpc R> [[nodiscard]] result<std::vector<std::byte>> encode_reply(const typename R::Reply& reply) {
    return xdr::encode(reply);
}

// Decodes a whole reply; bytes after the last result are errc::trailing_bytes.
template <rpc R> [[nodiscard]] result<typename R::Reply> decode_reply(std::span<const std::byte> reply) {
    return xdr::decode<typename R::Reply>(reply);
}

}  // namespace afs::wire
