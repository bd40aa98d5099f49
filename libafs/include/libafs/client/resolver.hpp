// Path resolution: "/afs/CELL/a/b" to a file.
//
// Resolution starts at the root directory of the cell's root.cell volume (read-only when
// the volume has a replica, as the cache manager's "/afs/CELL" does; read-write for
// "/afs/.CELL"), then for each name: read the directory (the client fetches it and keeps it
// parsed, cached by data version), look the name up, fetch the entry's status; a mount
// point (a symlink without execute bits whose contents are "#vol." or "%cell:vol.") leads
// to the root of that volume; a symbolic link is followed (relative to the directory it is
// in, or from /afs when absolute), at most ResolveOptions::max_symlinks times.
//
// The resolver only decides; it reaches the servers through a ResolverBackend (the Client,
// or a fake in tests). Callbacks may come inline or later, on any thread, one at a time.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <system_error>

#include "libafs/client/file_ref.hpp"
#include "libafs/wire/dir.hpp"
#include "libafs/wire/path.hpp"
#include "libafs/wire/types.hpp"

namespace afs::client {

struct VolumeRoot {
    FileRef root;                    // the volume's root directory (vnode 1, unique 1)
    wire::VolumeType type = wire::VolumeType::rw;
};

class ResolverBackend {
public:
    template <class T>
    using Callback = std::function<void(std::error_code, T)>;

    virtual ~ResolverBackend() = default;
    // The volume a mount point in `cell` leads to; `parent_type` is the type of the volume
    // holding the mount point (see wire::mount_target_type).
    virtual void mount_target(const std::string& cell, const wire::MountPoint& mount, wire::VolumeType parent_type,
                              Callback<VolumeRoot> done) = 0;
    virtual void fetch_status(const FileRef& file, Callback<wire::AFSFetchStatus> done) = 0;
    // The parsed contents of directory `dir`, whose status (data version, length) is `status`.
    virtual void read_directory(const FileRef& dir, const wire::AFSFetchStatus& status,
                                Callback<std::shared_ptr<const wire::dir::Directory>> done) = 0;
    // A symlink's (or mount point's) contents.
    virtual void read_link(const FileRef& link, const wire::AFSFetchStatus& status, Callback<std::string> done) = 0;
};

struct ResolveOptions {
    // A symbolic link as the last name is followed (mount points always are, as a path to
    // a mount point means the volume it mounts).
    bool follow_last_symlink = true;
    // Resolve only the directory that holds the last name: the Node is that directory and
    // Node::name is the last name, which need not exist (for create, mkdir, rename...).
    bool parent_only = false;
    uint32_t max_symlinks = 16;      // more links than this in one resolution: ELOOP
    uint32_t max_steps = 4096;       // names looked up in one resolution at most: ELOOP
};

// A mount point is a symlink-typed vnode with no execute bits whose contents parse as one.
bool looks_like_mount_point(const wire::AFSFetchStatus& status);

// Resolves `path`. On success `done` gets the Node; on failure the error and a Node whose
// `path` is how far resolution got and whose `name` is the name that failed.
// Errors: ENOENT (a name is missing), ENOTDIR (a name under a file), ELOOP, EINVAL
// (parent_only on a path with no name), a symlink pointing outside AFS (EXDEV), and
// the backend's errors as they are.
void resolve_path(std::shared_ptr<ResolverBackend> backend, wire::AfsPath path, ResolveOptions options,
                  std::function<void(std::error_code, Node)> done);

}  // namespace afs::client
