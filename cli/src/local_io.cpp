#include "local_io.hpp"

#include <fcntl.h>

#include <unistd.h>

#include <cerrno>

namespace netcp {

std::error_code read_fully(int fd, uint64_t pos, std::span<std::byte> buf) {
    size_t done = 0;
    while (done < buf.size()) {
        ssize_t n = ::pread(fd, buf.data() + done, buf.size() - done, static_cast<off_t>(pos + done));
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return {errno, std::generic_category()};
        if (n == 0) return std::make_error_code(std::errc::io_error);
        done += static_cast<size_t>(n);
    }
    return {};
}

std::error_code write_fully(int fd, uint64_t pos, std::span<const std::byte> data) {
    size_t done = 0;
    while (done < data.size()) {
        ssize_t n = ::pwrite(fd, data.data() + done, data.size() - done, static_cast<off_t>(pos + done));
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return {errno, std::generic_category()};
        done += static_cast<size_t>(n);
    }
    return {};
}

int open_upload_source(const std::string& path, int source_fd, bool follow) {
    if (source_fd >= 0) return ::fcntl(source_fd, F_DUPFD_CLOEXEC, 0);
    return ::open(path.c_str(), O_RDONLY | O_CLOEXEC | (follow ? 0 : O_NOFOLLOW));
}

}  // namespace netcp
