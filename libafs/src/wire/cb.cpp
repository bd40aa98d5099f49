// Dispatching incoming callback-service calls by opcode.
#include "libafs/wire/cb.hpp"

namespace afs::wire::cb {
namespace {

template <class Alternative>
result<Call> decode_as(std::span<const std::byte> request) {
    auto req = decode_request<typename Alternative::rpc>(request);
    if (!req) return fail(req.error());
    return Call{std::move(*req)};
}

// Tries each alternative of Call in turn; the first whose opcode matches decodes.
template <size_t... I>
result<Call> dispatch(uint32_t op, std::span<const std::byte> request, std::index_sequence<I...>) {
    result<Call> out = fail(abort_error(abort_code::RXGEN_OPCODE));
    (void)((std::variant_alternative_t<I, Call>::rpc::opcode == op
                ? (out = decode_as<std::variant_alternative_t<I, Call>>(request), true)
                : false) ||
           ...);
    return out;
}

}  // namespace

result<Call> decode_call(std::span<const std::byte> request) {
    auto op = wire::opcode_of(request);
    if (!op) return fail(op.error());
    return dispatch(*op, request, std::make_index_sequence<std::variant_size_v<Call>>{});
}

bool is_unknown_opcode(std::error_code ec) { return ec == abort_error(abort_code::RXGEN_OPCODE); }

int32_t abort_code_for(std::error_code decode_error) {
    return is_unknown_opcode(decode_error) ? abort_code::RXGEN_OPCODE : abort_code::RXGEN_SS_UNMARSHAL;
}

uint32_t opcode_of(const Call& call) {
    return std::visit([](const auto& req) { return std::decay_t<decltype(req)>::rpc::opcode; }, call);
}

std::string_view name_of(const Call& call) {
    return std::visit([](const auto& req) { return std::decay_t<decltype(req)>::rpc::name; }, call);
}

}  // namespace afs::wire::cb
