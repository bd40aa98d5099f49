// The lock that says "a live process has this entry open": an exclusive open-file-
// description lock (fcntl F_OFD_SETLK) on the backing file, held from open_object until
// the object is destroyed. The kernel drops it when the holder exits or crashes, so an
// in-use mark with no lock holder means the holder died (a torn entry).
//
// OFD locks rather than flock(2): same semantics (per open file description, so two
// objects in one process exclude each other too), but F_OFD_GETLK can ask whether an
// entry is held without taking the lock, so listing never makes a concurrent open fail.
#pragma once

#include <string>

#include "layout.hpp"
#include "netfs/error.hpp"

namespace netfs::cache {

class EntryLock {
public:
    // Opens the backing file (creating it with `create`) and locks it without waiting:
    // EBUSY if another holder has it, ENOENT if it does not exist and !create. The file
    // locked is the one at the path now (not one a culler unlinked meanwhile).
    static result<EntryLock> acquire(const EntryPaths& paths, bool create);
    // Whether some other open file description holds the lock of the backing file.
    static bool held(const std::string& data_path);

    EntryLock() = default;
    EntryLock(EntryLock&& o) noexcept : fd_(o.fd_) { o.fd_ = -1; }
    EntryLock& operator=(EntryLock&& o) noexcept;
    EntryLock(const EntryLock&) = delete;
    EntryLock& operator=(const EntryLock&) = delete;
    ~EntryLock();  // closing the file drops the lock

    int fd() const { return fd_; }

private:
    explicit EntryLock(int fd) : fd_(fd) {}
    int fd_ = -1;
};

}  // namespace netfs::cache
