#include "local_partial.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>

#include "remote.hpp"

namespace netcp {

namespace {
std::error_code last_errno() { return {errno, std::generic_category()}; }
}  // namespace

tl::expected<LocalPartial, Failure> LocalPartial::create(const LocalTarget& target) {
    std::string tmp;
    int fd = -1;
    // A random name can collide with a leftover of an earlier run: try a few.
    for (int attempt = 0; attempt < 10 && fd < 0; ++attempt) {
        tmp = partial_name(target.name);
        fd = ::openat(target.dir_fd, tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
        if (fd < 0 && errno != EEXIST) break;
    }
    if (fd < 0) {
        const auto slash = target.display.rfind('/');
        const std::string where = slash == std::string::npos ? tmp : target.display.substr(0, slash + 1) + tmp;
        return tl::unexpected(failure("cannot create '" + where + "'", last_errno()));
    }
    return LocalPartial(target, tmp, fd);
}

tl::expected<LocalPartial, std::error_code> LocalPartial::adopt(const LocalTarget& target, const std::string& tmp,
                                                                uint64_t min_size) {
    if (!is_partial_name(tmp, target.name)) return tl::unexpected(std::make_error_code(std::errc::invalid_argument));
    const int fd = ::openat(target.dir_fd, tmp.c_str(), O_RDWR | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) return tl::unexpected(last_errno());
    struct stat st {};
    if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_uid != ::geteuid() ||
        static_cast<uint64_t>(st.st_size) < min_size) {
        ::close(fd);
        return tl::unexpected(std::make_error_code(std::errc::operation_not_permitted));
    }
    return LocalPartial(target, tmp, fd);
}

void LocalPartial::keep() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
    done_ = true;
}

LocalPartial::LocalPartial(LocalPartial&& other) noexcept
    : target_(std::move(other.target_)), tmp_(std::move(other.tmp_)), fd_(other.fd_), done_(other.done_) {
    other.fd_ = -1;
    other.done_ = true;
}

LocalPartial::~LocalPartial() { abandon(); }

void LocalPartial::abandon() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
    if (!done_) ::unlinkat(target_.dir_fd, tmp_.c_str(), 0);
    done_ = true;
}

tl::expected<void, Failure> LocalPartial::commit(const Finish& f) {
    const std::string& local = target_.display;
    auto fail = [&](const std::string& what) {
        auto ec = last_errno();
        abandon();
        return tl::unexpected(failure(what, ec));
    };
    if (::ftruncate(fd_, static_cast<off_t>(f.size)) != 0) return fail("cannot write '" + local + "'");
    if (::fchmod(fd_, f.mode) != 0) return fail("cannot set the mode of '" + local + "'");
    if (f.mtime && f.atime) {
        const timespec times[2] = {*f.atime, *f.mtime};
        if (::futimens(fd_, times) != 0) return fail("cannot set the times of '" + local + "'");
    }
    if (f.fsync && ::fsync(fd_) != 0) return fail("cannot flush '" + local + "'");
    const int fd = fd_;
    fd_ = -1;
    if (::close(fd) != 0) return fail("cannot write '" + local + "'");
    if (::renameat(target_.dir_fd, tmp_.c_str(), target_.dir_fd, target_.name.c_str()) != 0)
        return fail("cannot rename the download into place at '" + local + "'");
    done_ = true;
    if (f.fsync) {
        // The rename is only durable once the directory holding it is on disk.
        const int dir = ::openat(target_.dir_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dir < 0) return tl::unexpected(failure("cannot flush the directory of '" + local + "'", last_errno()));
        const int rc = ::fsync(dir);
        const auto ec = last_errno();
        ::close(dir);
        if (rc != 0) return tl::unexpected(failure("cannot flush the directory of '" + local + "'", ec));
    }
    return {};
}

}  // namespace netcp
