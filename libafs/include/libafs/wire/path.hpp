// AFS names as users and servers write them: paths (/afs/CELL/a/b, afs://CELL/a/b),
// mount-point contents (#cell:volume.) and volume names (root.cell.readonly).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "libafs/error.hpp"
#include "libafs/wire/types.hpp"

namespace afs::wire {

struct AfsPath {
    std::string cell;  // lower case
    // "/afs/.CELL/...": start from the cell's root volume read-write rather than following
    // the usual read-only preference.
    bool read_write = false;
    std::vector<std::string> components;  // ".", "..", empty ones already resolved
    bool operator==(const AfsPath&) const = default;
};

// True for strings parse_afs_path is meant for: "/afs/..." or "afs://...".
bool is_afs_path(std::string_view text);

// Splits "/afs/CELL/a/b" or "afs://CELL/a/b" (components percent-decoded in the URL form).
// "." and empty components are dropped, ".." removes the previous component (lexically; it
// cannot climb above the cell). Errors: errc::bad_value for a path of another form, a bad
// cell name, ".." above the cell, '/' or NUL inside a decoded component;
// errc::too_large for a component longer than 256 bytes.
[[nodiscard]] result<AfsPath> parse_afs_path(std::string_view text);

// "/afs/CELL/a/b" ("/afs/.CELL/..." when read_write).
std::string to_string(const AfsPath& path);

// Letters, digits, '.', '-', '_', not starting or ending with '.', at most 64 bytes.
bool is_valid_cell_name(std::string_view cell);

// A name that may appear in a directory and be used locally: 1..256 bytes, no '/' or NUL,
// not "." or "..".
bool is_valid_name(std::string_view name);

// A mount point: a symlink-like vnode whose contents are '#' or '%', an optional "cell:",
// a volume name, and a final '.'.
struct MountPoint {
    // '#' (regular: may follow a read-only replica) or '%' (read-write).
    char kind = '#';
    std::string cell;    // empty: the cell the mount point is in
    std::string volume;  // as written, ".readonly"/".backup" suffix included
    bool operator==(const MountPoint&) const = default;
};

// Parses mount-point contents (one trailing NUL is tolerated). Anything else is
// errc::bad_value; a volume name over 64 bytes is errc::too_large.
[[nodiscard]] result<MountPoint> parse_mount_point(std::string_view contents);
// "#cell:volume." or "%volume."
std::string format_mount_point(const MountPoint& mount);

// A volume name with its type suffix taken off: "root.cell.readonly" -> {"root.cell", ro}.
struct VolumeName {
    std::string base;
    std::optional<VolumeType> type;  // from the suffix; none: not said
    bool operator==(const VolumeName&) const = default;
};
VolumeName split_volume_name(std::string_view name);

// A volume named by its number ("536870912"): the id, else nullopt.
std::optional<uint32_t> parse_volume_id(std::string_view name);

// Which type of the target volume a mount point leads to (the cache manager's traversal
// rules): a ".readonly"/".backup" suffix says so itself (but never from one backup volume
// into another: that leads to the RW); '%' means RW; '#' means RO when the mount point sits
// in a RO volume and the target has a RO copy, RW otherwise.
VolumeType mount_target_type(const MountPoint& mount, VolumeType parent_type, bool target_ro_exists);

}  // namespace afs::wire
