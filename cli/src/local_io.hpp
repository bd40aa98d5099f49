// Whole reads and writes at an offset of a local file, retrying on EINTR and short counts.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <system_error>

namespace netcp {

// Reads exactly buf.size() bytes at pos; io_error if the file ends first (it shrank
// while we copied it).
std::error_code read_fully(int fd, uint64_t pos, std::span<std::byte> buf);
// Writes all of data at pos.
std::error_code write_fully(int fd, uint64_t pos, std::span<const std::byte> data);

// The file an upload reads: a new descriptor of `source_fd` if one is given (standard
// input's spool), else `path` opened read-only (refusing a symbolic link unless
// `follow`). -1 with errno set on failure.
int open_upload_source(const std::string& path, int source_fd, bool follow);

}  // namespace netcp
