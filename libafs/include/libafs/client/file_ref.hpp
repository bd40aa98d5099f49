// Naming files in AFS: a cell plus a fid (volume, vnode, uniquifier), and what path
// resolution found.
#pragma once

#include <string>

#include "libafs/wire/types.hpp"

namespace afs::client {

// A file in a cell. Volume ids are only unique within a cell, so the cell goes with the fid.
struct FileRef {
    std::string cell;
    wire::AFSFid fid;

    // "test.afs:536870918.1.1"
    std::string to_string() const;
    bool operator==(const FileRef&) const = default;
};

// What resolving a path gave.
struct Node {
    FileRef ref;                        // the file (a volume root when the path ends at a mount point)
    wire::AFSFetchStatus status;        // as fetched with the caller's identity
    wire::VolumeType volume_type = wire::VolumeType::rw;  // of the volume `ref` lives in
    FileRef parent;                     // the directory the last name was found in (== ref for a cell root)
    std::string name;                   // the last name ("" for a cell root)
    std::string path;                   // the path as given, normalised (/afs/cell/a/b)
};

}  // namespace afs::client
