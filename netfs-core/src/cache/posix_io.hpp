// System calls the cache needs, wrapped to loop over EINTR and short transfers and to
// return errors as values.
#pragma once

#include <sys/uio.h>

#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <system_error>
#include <vector>

#include "netfs/error.hpp"

namespace netfs::cache::io {

inline std::error_code errno_code(int e = errno) { return {e, std::generic_category()}; }

// Reads until dst is full or the end of the file; returns the bytes read.
result<size_t> pread_full(int fd, std::span<std::byte> dst, uint64_t pos);

// Writes every byte of iov (which it advances); `written` counts what landed even when an
// error stops it part way (a regular file is written short only just before an error
// such as ENOSPC or EFBIG, which the next call returns).
std::error_code pwritev_full(int fd, std::span<iovec> iov, uint64_t pos, uint64_t& written);

// The whole of a small file; ENOENT when it does not exist.
result<std::vector<std::byte>> read_small_file(const std::string& path);

// Replaces `path` atomically: writes `tmp`, renames it over `path`. With `durable`, the
// data reaches the disk before the rename and the rename before returning (fsync of the
// file and of its directory); without, a crash may leave the old or (on some file
// systems) an empty record, which readers reject by its checksum.
std::error_code replace_file(const std::string& path, const std::string& tmp, std::span<const std::byte> data,
                             bool durable);

std::error_code fsync_dir(const std::string& dir);

// Creates a directory (mode 0700) unless it exists as one.
std::error_code make_dir(const std::string& path);

}  // namespace netfs::cache::io
