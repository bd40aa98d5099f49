// The FS codecs: requests and replies of every fileserver RPC (round trip), the split-call
// byte counts (decode_fetch_data_length, decode_fetch_data64_length), what the client does
// with a reply (status errors, InlineBulkStatus check_reply, the ACL text of FetchACL).
#include <algorithm>

#include "libafs/wire/fs.hpp"
#include "xdr_rpc.hpp"

namespace fs = afs::wire::fs;

namespace netcp_fuzz {

template <> void inspect(const fs::FetchACL::Reply& r) {
    if (auto acl = afs::wire::parse_acl(r.acl)) (void)afs::wire::format_acl(*acl);
    (void)r.status.error();
}
template <> void inspect(const fs::InlineBulkStatus::Reply& r) {
    fs::InlineBulkStatus::Request req;
    req.fids.resize(r.statuses.size());
    (void)fs::check_reply(req, r);
    for (const auto& s : r.statuses) (void)s.error();
}
template <> void inspect(const fs::StatusCallBackAndSync& r) { (void)r.status.error(); }
template <> void inspect(const fs::StatusAndSync& r) { (void)r.status.error(); }

}  // namespace netcp_fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    netcp_fuzz::dispatch_rpc<fs::FetchData, fs::FetchACL, fs::FetchStatus, fs::StoreData, fs::StoreACL,
                             fs::StoreStatus, fs::RemoveFile, fs::CreateFile, fs::Rename, fs::Symlink, fs::MakeDir,
                             fs::RemoveDir, fs::GiveUpCallBacks, fs::GetVolumeStatus, fs::InlineBulkStatus,
                             fs::FetchData64, fs::StoreData64, fs::GiveUpAllCallBacks, fs::GetCapabilities>(data,
                                                                                                         size);
    auto in = netcp_fuzz::bytes(data, size);
    if (size >= 8) {
        // The 8 bytes of a FetchData64 prefix, then the requested length from the next 8.
        int64_t requested = 0;
        for (size_t i = 8; i < 16 && i < size; ++i) requested = requested << 8 | data[i];
        // Never more than was asked for (a negative request asks for nothing).
        if (auto n = fs::decode_fetch_data64_length(in.first(8), requested))
            FUZZ_CHECK(*n <= static_cast<uint64_t>(std::max<int64_t>(requested, 0)));
        const auto requested32 = static_cast<int32_t>(requested);
        if (auto n = fs::decode_fetch_data_length(in.first(4), requested32))
            FUZZ_CHECK(*n <= static_cast<uint32_t>(std::max<int32_t>(requested32, 0)));
    }
    (void)fs::decode_fetch_data64_length(in, 1 << 20);
    return 0;
}
