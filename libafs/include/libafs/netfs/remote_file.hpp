// An AFS file as a netfs-core user needs it before building the backends: its FileRef and
// status (size, times, data version), the persistent cache's key and coherency data, and
// the create / stat / truncate steps around an upload. Every step takes the caller's keys
// and tries them in turn while the fileserver refuses one (ACL, expired or rejected
// ticket); the key that worked is remembered in RemoteFile::key, and an error after every
// key was refused names each ("... as any of A, B: Permission denied").
//
//   auto f = create_file(client, keys, "/afs/test.afs/test/x.partial");   // or open_file
//   auto w = AfsWriteBackend::create(client.client(), f->ref, keys, {...});
//   (*w)->prefer_key(f->key);
//   auto key = cache_key(f->ref);  auto now = coherency(f->status);
//
// Blocking (over client::BlockingClient): these are one or two RPCs each, made once per file.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "libafs/client/blocking.hpp"
#include "netfs/cache/cache.hpp"

namespace afs::netfs {

struct RemoteFile {
    client::FileRef ref;
    wire::AFSFetchStatus status;
    std::string path;        // as given
    size_t key = 0;          // the identity (index into the keys given) that got the answer
    uint64_t size() const { return status.length(); }
};

// For netfs::cache: server = the cell, volume = the volume id, file = "vnode.unique" (both
// decimal). A fid is never reused within a volume (the uniquifier), so the key names one
// file for good.
::netfs::cache::Key cache_key(const client::FileRef& file);
// What must still match for cached data to be served: the length, the fileserver's
// modification time (ServerModTime, in ns) and the data version (bumped by every store).
::netfs::cache::Coherency coherency(const wire::AFSFetchStatus& status);

// The file at `path` ("/afs/CELL/..." or "afs://CELL/..."). A directory is EISDIR.
client::Result<RemoteFile> open_file(client::BlockingClient& c, std::span<const client::Identity> keys,
                                     std::string_view path);
// Creates an empty file at `path` (EEXIST if the name is taken).
client::Result<RemoteFile> create_file(client::BlockingClient& c, std::span<const client::Identity> keys,
                                       std::string_view path, client::CreateParams params = {});
// The file's status now, asked with file.key first.
client::Result<RemoteFile> stat_file(client::BlockingClient& c, std::span<const client::Identity> keys,
                                     const RemoteFile& file);
// Sets the length (shorter or longer: a longer file reads zeros at the end), with file.key
// first; the result carries the status after it.
client::Result<RemoteFile> truncate_file(client::BlockingClient& c, std::span<const client::Identity> keys,
                                         const RemoteFile& file, uint64_t length);

}  // namespace afs::netfs
