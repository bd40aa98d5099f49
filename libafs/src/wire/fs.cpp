// The parts of the FS codecs that are more than a layout: split-RPC counts, reply checks.
#include "libafs/wire/fs.hpp"

namespace afs::wire::fs {
namespace {

template <class Prefix>
result<decltype(Prefix::length)> decode_count(std::span<const std::byte> prefix, int64_t requested) {
    auto p = xdr::decode<Prefix>(prefix);
    if (!p) return fail(p.error());
    // The fileserver never sends more than was asked for (it clips at end of file).
    const uint64_t asked = requested < 0 ? 0 : static_cast<uint64_t>(requested);
    if (p->length > asked) return fail(errc::protocol_violation);
    return p->length;
}

}  // namespace

result<uint64_t> decode_fetch_data64_length(std::span<const std::byte> prefix, int64_t requested) {
    return decode_count<FetchData64::ReplyPrefix>(prefix, requested);
}

result<uint32_t> decode_fetch_data_length(std::span<const std::byte> prefix, int32_t requested) {
    return decode_count<FetchData::ReplyPrefix>(prefix, requested);
}

std::error_code check_reply(const InlineBulkStatus::Request& request, const InlineBulkStatus::Reply& reply) {
    if (reply.statuses.size() != request.fids.size() || reply.callbacks.size() != request.fids.size())
        return errc::protocol_violation;
    return {};
}

result<StoreACL::Request> make_store_acl(const AFSFid& fid, const Acl& acl) {
    auto text = format_acl(acl);
    if (!text) return fail(text.error());
    // The fileserver parses the opaque as a C string: it must carry its NUL.
    text->push_back('\0');
    if (text->size() > afs_opaque_max) return fail(errc::too_large);
    return StoreACL::Request{fid, std::move(*text)};
}

}  // namespace afs::wire::fs
