// Whole reads and writes at an offset of a local file, retrying on EINTR and short counts.
#pragma once

#include <cstdint>
#include <span>
#include <system_error>

namespace netcp {

// Reads exactly buf.size() bytes at pos; io_error if the file ends first (it shrank
// while we copied it).
std::error_code read_fully(int fd, uint64_t pos, std::span<std::byte> buf);
// Writes all of data at pos.
std::error_code write_fully(int fd, uint64_t pos, std::span<const std::byte> data);

}  // namespace netcp
