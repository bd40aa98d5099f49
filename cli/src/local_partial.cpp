#include "local_partial.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>

#include "remote.hpp"

namespace netcp {

namespace {
std::error_code last_errno() { return {errno, std::generic_category()}; }
}  // namespace

tl::expected<LocalPartial, Failure> LocalPartial::create(const std::string& local) {
    const auto slash = local.rfind('/');
    const std::string dir = slash == std::string::npos ? "" : local.substr(0, slash + 1);
    const std::string name = slash == std::string::npos ? local : local.substr(slash + 1);
    std::string tmp;
    int fd = -1;
    // A random name can collide with a leftover of an earlier run: try a few.
    for (int attempt = 0; attempt < 10 && fd < 0; ++attempt) {
        tmp = dir + partial_name(name);
        fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
        if (fd < 0 && errno != EEXIST) break;
    }
    if (fd < 0) return tl::unexpected(failure("cannot create '" + tmp + "'", last_errno()));
    return LocalPartial(local, tmp, fd);
}

LocalPartial::LocalPartial(LocalPartial&& other) noexcept
    : local_(std::move(other.local_)), tmp_(std::move(other.tmp_)), fd_(other.fd_), done_(other.done_) {
    other.fd_ = -1;
    other.done_ = true;
}

LocalPartial::~LocalPartial() { abandon(); }

void LocalPartial::abandon() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
    if (!done_) ::unlink(tmp_.c_str());
    done_ = true;
}

tl::expected<void, Failure> LocalPartial::commit(const Finish& f) {
    auto fail = [&](const std::string& what) {
        auto ec = last_errno();
        abandon();
        return tl::unexpected(failure(what, ec));
    };
    if (::ftruncate(fd_, static_cast<off_t>(f.size)) != 0) return fail("cannot write '" + local_ + "'");
    if (::fchmod(fd_, f.mode) != 0) return fail("cannot set the mode of '" + local_ + "'");
    if (f.mtime && f.atime) {
        const timespec times[2] = {*f.atime, *f.mtime};
        if (::futimens(fd_, times) != 0) return fail("cannot set the times of '" + local_ + "'");
    }
    if (f.fsync && ::fsync(fd_) != 0) return fail("cannot flush '" + local_ + "'");
    const int fd = fd_;
    fd_ = -1;
    if (::close(fd) != 0) return fail("cannot write '" + local_ + "'");
    if (::rename(tmp_.c_str(), local_.c_str()) != 0)
        return fail("cannot rename the download into place at '" + local_ + "'");
    done_ = true;
    return {};
}

}  // namespace netcp
