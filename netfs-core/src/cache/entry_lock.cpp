#include "entry_lock.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "posix_io.hpp"

namespace netfs::cache {

EntryLock& EntryLock::operator=(EntryLock&& o) noexcept {
    if (this != &o) {
        if (fd_ >= 0) ::close(fd_);
        fd_ = o.fd_;
        o.fd_ = -1;
    }
    return *this;
}

EntryLock::~EntryLock() {
    if (fd_ >= 0) ::close(fd_);
}

result<EntryLock> EntryLock::acquire(const EntryPaths& paths, bool create) {
    // A culler may unlink the file between our open and our lock; then we hold a lock on
    // a file nobody will find again. Retry until the locked file is the one at the path.
    for (int attempt = 0; attempt < 16; ++attempt) {
        const int fd = ::open(paths.data.c_str(), O_RDWR | O_CLOEXEC | (create ? O_CREAT : 0), 0600);
        if (fd < 0) return fail(io::errno_code());
        EntryLock lock(fd);
        struct flock fl = {};
        fl.l_type = F_WRLCK;
        fl.l_whence = SEEK_SET;
        while (::fcntl(fd, F_OFD_SETLK, &fl) < 0) {
            if (errno == EINTR) continue;
            if (errno == EAGAIN || errno == EACCES) return fail(io::errno_code(EBUSY));
            return fail(io::errno_code());
        }
        struct stat held, now;
        if (::fstat(fd, &held) < 0) return fail(io::errno_code());
        if (::stat(paths.data.c_str(), &now) == 0) {
            if (now.st_dev == held.st_dev && now.st_ino == held.st_ino) return lock;
        } else if (errno != ENOENT) {
            return fail(io::errno_code());
        } else if (!create) {
            return fail(io::errno_code(ENOENT));
        }
    }
    return fail(io::errno_code(EBUSY));  // the entry keeps being replaced under us
}

bool EntryLock::held(const std::string& data_path) {
    const int fd = ::open(data_path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return false;
    struct flock fl = {};
    fl.l_type = F_WRLCK;
    fl.l_whence = SEEK_SET;
    const bool locked = ::fcntl(fd, F_OFD_GETLK, &fl) == 0 && fl.l_type != F_UNLCK;
    ::close(fd);
    return locked;
}

}  // namespace netfs::cache
