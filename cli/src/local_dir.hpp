// The local side of a download tree, held as open directories: each level is opened
// relative to its parent with O_NOFOLLOW, and everything inside it is created relative to
// that descriptor. A path is never resolved again, so neither a name from the server nor a
// symbolic link that appears in the tree can send a write outside the destination.
#pragma once

#include <string>
#include <system_error>
#include <utility>

#include <tl/expected.hpp>

namespace netcp {

// An open directory descriptor, closed on destruction.
class DirFd {
public:
    DirFd() = default;
    explicit DirFd(int fd) : fd_(fd) {}
    DirFd(DirFd&& o) noexcept : fd_(std::exchange(o.fd_, -1)) {}
    DirFd& operator=(DirFd&& o) noexcept;
    DirFd(const DirFd&) = delete;
    DirFd& operator=(const DirFd&) = delete;
    ~DirFd();
    int get() const { return fd_; }
    explicit operator bool() const { return fd_ >= 0; }

private:
    int fd_ = -1;
};

// A path the user gave, split into its directory (opened, following the user's own
// symbolic links as any tool does) and its last component. "/" and paths ending in "."
// or ".." give the directory itself and the name ".".
struct LocalParent {
    DirFd dir;
    std::string name;
};
tl::expected<LocalParent, std::error_code> open_local_parent(const std::string& path);

// Opens directory `name` inside `parent` without following a symbolic link there.
tl::expected<DirFd, std::error_code> open_local_child_dir(int parent, const std::string& name);

}  // namespace netcp
