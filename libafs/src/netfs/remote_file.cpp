// Opening, creating, stating and truncating AFS files for netfs-core users (see
// remote_file.hpp).
#include "libafs/netfs/remote_file.hpp"

#include "key_attempts.hpp"

namespace afs::netfs {

using client::Identity;
using client::Result;

::netfs::cache::Key cache_key(const client::FileRef& file) {
    return {file.cell, std::to_string(file.fid.volume),
            std::to_string(file.fid.vnode) + "." + std::to_string(file.fid.unique)};
}

::netfs::cache::Coherency coherency(const wire::AFSFetchStatus& status) {
    return {status.length(), uint64_t{status.server_mod_time} * 1'000'000'000u, status.data_version()};
}

Result<RemoteFile> open_file(client::BlockingClient& c, std::span<const Identity> keys, std::string_view path) {
    auto r = detail::try_keys<client::Node>(keys, 0, [&](const Identity& who) { return c.resolve(who, path); });
    if (!r) return tl::unexpected(std::move(r.error()));
    auto& [node, key] = *r;
    if (node.status.is_directory()) {
        client::Outcome o;
        o.operation = "open";
        o.target = std::string(path);
        o.identity = client::describe(keys[key]);
        return tl::unexpected(client::Error{std::make_error_code(std::errc::is_a_directory), std::move(o)});
    }
    return RemoteFile{node.ref, node.status, std::string(path), key};
}

Result<RemoteFile> create_file(client::BlockingClient& c, std::span<const Identity> keys, std::string_view path,
                               client::CreateParams params) {
    auto r = detail::try_keys<client::CreateReply>(keys, 0,
                                                   [&](const Identity& who) { return c.create_file(who, path, params); });
    if (!r) return tl::unexpected(std::move(r.error()));
    return RemoteFile{r->first.file, r->first.status, std::string(path), r->second};
}

Result<RemoteFile> stat_file(client::BlockingClient& c, std::span<const Identity> keys, const RemoteFile& file) {
    auto r = detail::try_keys<client::StatusReply>(keys, file.key,
                                                   [&](const Identity& who) { return c.fetch_status(who, file.ref); });
    if (!r) return tl::unexpected(std::move(r.error()));
    return RemoteFile{file.ref, r->first.status, file.path, r->second};
}

Result<RemoteFile> truncate_file(client::BlockingClient& c, std::span<const Identity> keys, const RemoteFile& file,
                                 uint64_t length) {
    auto r = detail::try_keys<client::StoreReply>(keys, file.key,
                                                  [&](const Identity& who) { return c.truncate(who, file.ref, length); });
    if (!r) return tl::unexpected(std::move(r.error()));
    return RemoteFile{file.ref, r->first.status, file.path, r->second};
}

}  // namespace afs::netfs
