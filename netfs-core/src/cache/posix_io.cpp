#include "posix_io.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <climits>

namespace netfs::cache::io {

result<size_t> pread_full(int fd, std::span<std::byte> dst, uint64_t pos) {
    size_t done = 0;
    while (done < dst.size()) {
        const ssize_t n = ::pread(fd, dst.data() + done, dst.size() - done, static_cast<off_t>(pos + done));
        if (n < 0) {
            if (errno == EINTR) continue;
            return fail(errno_code());
        }
        if (n == 0) break;
        done += static_cast<size_t>(n);
    }
    return done;
}

std::error_code pwritev_full(int fd, std::span<iovec> iov, uint64_t pos, uint64_t& written) {
    written = 0;
    size_t first = 0;
    while (first < iov.size()) {
        if (iov[first].iov_len == 0) {
            ++first;
            continue;
        }
        const int count = static_cast<int>(std::min<size_t>(iov.size() - first, IOV_MAX));
        const ssize_t n = ::pwritev(fd, iov.data() + first, count, static_cast<off_t>(pos + written));
        if (n < 0) {
            if (errno == EINTR) continue;
            return errno_code();
        }
        if (n == 0) return errno_code(EIO);  // no progress and no error: do not spin
        written += static_cast<uint64_t>(n);
        for (size_t left = static_cast<size_t>(n); left > 0;) {
            const size_t k = std::min(left, iov[first].iov_len);
            iov[first].iov_base = static_cast<std::byte*>(iov[first].iov_base) + k;
            iov[first].iov_len -= k;
            left -= k;
            if (iov[first].iov_len == 0) ++first;
        }
    }
    return {};
}

result<std::vector<std::byte>> read_small_file(const std::string& path) {
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return fail(errno_code());
    std::vector<std::byte> out;
    std::byte buf[4096];
    for (;;) {
        const ssize_t n = ::read(fd, buf, sizeof buf);
        if (n < 0) {
            if (errno == EINTR) continue;
            const auto ec = errno_code();
            ::close(fd);
            return fail(ec);
        }
        if (n == 0) break;
        out.insert(out.end(), buf, buf + n);
    }
    ::close(fd);
    return out;
}

std::error_code fsync_dir(const std::string& dir) {
    const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return errno_code();
    const int r = ::fsync(fd);
    const auto ec = r < 0 ? errno_code() : std::error_code{};
    ::close(fd);
    return ec;
}

std::error_code replace_file(const std::string& path, const std::string& tmp, std::span<const std::byte> data,
                             bool durable) {
    const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) return errno_code();
    iovec v{const_cast<std::byte*>(data.data()), data.size()};
    uint64_t written = 0;
    std::error_code ec = pwritev_full(fd, std::span(&v, 1), 0, written);
    if (!ec && durable && ::fsync(fd) < 0) ec = errno_code();
    if (::close(fd) < 0 && !ec) ec = errno_code();
    if (!ec && ::rename(tmp.c_str(), path.c_str()) < 0) ec = errno_code();
    if (ec) {
        ::unlink(tmp.c_str());
        return ec;
    }
    if (durable) {
        const auto slash = path.rfind('/');
        return fsync_dir(slash == std::string::npos ? "." : path.substr(0, std::max<size_t>(slash, 1)));
    }
    return {};
}

std::error_code make_dir(const std::string& path) {
    if (::mkdir(path.c_str(), 0700) == 0) return {};
    const int e = errno;
    struct stat st;
    if (e == EEXIST && ::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) return {};
    return errno_code(e == EEXIST ? ENOTDIR : e);
}

}  // namespace netfs::cache::io
