#include "standard_streams.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <vector>

namespace netcp {

namespace {

std::string temp_dir() {
    const char* t = std::getenv("TMPDIR");
    return t && *t ? t : "/tmp";
}

std::string errno_text() { return std::strerror(errno); }

}  // namespace

SpooledInput::~SpooledInput() {
    if (fd >= 0) ::close(fd);
}

tl::expected<SpooledInput, std::string> spool_standard_input(bool (*stop)()) {
    SpooledInput in;
    struct stat st {};
    if (::fstat(STDIN_FILENO, &st) != 0) return tl::unexpected("cannot read standard input: " + errno_text());
    const mode_t fresh = S_IFREG | 0666;  // as a shell's `>` would create it (the umask applies)
    if (S_ISREG(st.st_mode) && ::lseek(STDIN_FILENO, 0, SEEK_CUR) == 0) {
        // A regular file from its start: upload it as it is.
        in.fd = ::fcntl(STDIN_FILENO, F_DUPFD_CLOEXEC, 0);
        if (in.fd < 0) return tl::unexpected("cannot read standard input: " + errno_text());
        in.st = st;
        in.st.st_mode = fresh;
        return in;
    }
    const std::string dir = temp_dir();
    in.fd = ::open(dir.c_str(), O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
    if (in.fd < 0) {
        // A file system without O_TMPFILE: a named file, unlinked at once.
        std::string name = dir + "/netcp-stdin-XXXXXX";
        std::vector<char> buf(name.begin(), name.end());
        buf.push_back('\0');
        in.fd = ::mkostemp(buf.data(), O_CLOEXEC);
        if (in.fd < 0)
            return tl::unexpected("cannot make a temporary file in " + dir + " for standard input: " + errno_text() +
                                  " (set TMPDIR to a writable directory)");
        ::unlink(buf.data());
    }
    std::vector<char> buf(1u << 20);
    for (;;) {
        if (stop && stop()) return tl::unexpected(std::string("interrupted while reading standard input"));
        const ssize_t n = ::read(STDIN_FILENO, buf.data(), buf.size());
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return tl::unexpected("cannot read standard input: " + errno_text());
        if (n == 0) break;
        for (ssize_t off = 0; off < n;) {
            const ssize_t w = ::write(in.fd, buf.data() + off, static_cast<size_t>(n - off));
            if (w < 0 && errno == EINTR) continue;
            if (w < 0)
                return tl::unexpected("cannot keep standard input in a temporary file in " + dir + ": " +
                                      errno_text() + " (set TMPDIR to a directory with room)");
            off += w;
        }
    }
    if (::fstat(in.fd, &in.st) != 0) return tl::unexpected("cannot read standard input: " + errno_text());
    in.st.st_mode = fresh;
    ::clock_gettime(CLOCK_REALTIME, &in.st.st_mtim);
    in.st.st_atim = in.st.st_mtim;
    return in;
}

tl::expected<DownloadSpool, std::string> DownloadSpool::create() {
    std::string tmpl = temp_dir() + "/netcp-stdout-XXXXXX";
    std::vector<char> buf(tmpl.begin(), tmpl.end());
    buf.push_back('\0');
    if (!::mkdtemp(buf.data()))
        return tl::unexpected("cannot make a temporary directory in " + temp_dir() + " for the download: " +
                              errno_text() + " (set TMPDIR to a writable directory)");
    std::string path(buf.data());
    const int fd = ::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) {
        const std::string why = errno_text();
        ::rmdir(path.c_str());
        return tl::unexpected("cannot open " + path + ": " + why);
    }
    return DownloadSpool(std::move(path), DirFd(fd));
}

DownloadSpool::~DownloadSpool() {
    if (path_.empty()) return;
    // The download (or its partial file) is all there can be: remove every entry.
    if (DIR* d = ::fdopendir(::dup(dir_.get()))) {
        std::vector<std::string> names;
        while (dirent* e = ::readdir(d))
            if (std::strcmp(e->d_name, ".") != 0 && std::strcmp(e->d_name, "..") != 0) names.emplace_back(e->d_name);
        ::closedir(d);
        for (const auto& n : names) ::unlinkat(dir_.get(), n.c_str(), 0);
    }
    ::rmdir(path_.c_str());
}

int DownloadSpool::open_download() const { return ::openat(dir_.get(), name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW); }

std::string DownloadSpool::copy_to_stdout(uint64_t size) const {
    const int fd = open_download();
    if (fd < 0) return "cannot open the downloaded file: " + errno_text();
    std::vector<char> buf(1u << 20);
    uint64_t done = 0;
    std::string error;
    while (done < size && error.empty()) {
        const ssize_t n = ::read(fd, buf.data(), buf.size());
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {
            error = n < 0 ? "cannot read the downloaded file: " + errno_text() : "the downloaded file ended early";
            break;
        }
        for (ssize_t off = 0; off < n;) {
            const ssize_t w = ::write(STDOUT_FILENO, buf.data() + off, static_cast<size_t>(n - off));
            if (w < 0 && errno == EINTR) continue;
            if (w < 0) {
                error = "cannot write to standard output: " + errno_text();
                break;
            }
            off += w;
        }
        done += static_cast<uint64_t>(n);
    }
    ::close(fd);
    return error;
}

}  // namespace netcp
