#include "local_dir.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>

namespace netcp {

namespace {
std::error_code last_errno() { return {errno, std::generic_category()}; }
}  // namespace

DirFd& DirFd::operator=(DirFd&& o) noexcept {
    if (this != &o) {
        if (fd_ >= 0) ::close(fd_);
        fd_ = std::exchange(o.fd_, -1);
    }
    return *this;
}

DirFd::~DirFd() {
    if (fd_ >= 0) ::close(fd_);
}

tl::expected<LocalParent, std::error_code> open_local_parent(const std::string& path) {
    std::string p = path;
    while (p.size() > 1 && p.back() == '/') p.pop_back();
    std::string dir, name;
    const auto slash = p.rfind('/');
    if (slash == std::string::npos) {
        dir = ".";
        name = p;
    } else {
        dir = slash == 0 ? "/" : p.substr(0, slash);
        name = p.substr(slash + 1);
    }
    if (p == "/" || name == "." || name == "..") {  // the directory itself
        dir = p;
        name = ".";
    }
    const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return tl::unexpected(last_errno());
    return LocalParent{DirFd(fd), name};
}

tl::expected<DirFd, std::error_code> open_local_child_dir(int parent, const std::string& name) {
    const int fd = ::openat(parent, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) {
        // O_NOFOLLOW on a symbolic link: ELOOP; say what it is.
        if (errno == ELOOP) return tl::unexpected(std::make_error_code(std::errc::too_many_symbolic_link_levels));
        return tl::unexpected(last_errno());
    }
    return DirFd(fd);
}

}  // namespace netcp
