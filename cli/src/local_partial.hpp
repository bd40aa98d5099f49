// A download's local destination while it is being written: a hidden temporary file
// (".NAME.netcp-XXXXXX.partial") next to the final name, renamed over it only when every
// byte is there, so a destination never looks complete when it is not. Any protocol's
// download writes through one.
#pragma once

#include <fcntl.h>
#include <sys/stat.h>

#include <cstdint>
#include <optional>
#include <string>

#include <tl/expected.hpp>

#include "report.hpp"

namespace netcp {

// Where a download lands: one name inside a directory the copy opened itself. The file
// is created and renamed relative to that descriptor, never through a path resolved
// again, so nothing a server names and no symbolic link in the tree can move it elsewhere.
struct LocalTarget {
    int dir_fd = AT_FDCWD;  // borrowed: the caller keeps it open
    std::string name;       // one path component, already checked
    std::string display;    // the whole path, for messages
    // An interrupted download may be resumed (a journal kept beside the partial file);
    // not for private temporary targets (standard output, --checksum's read-back).
    bool resumable = true;
};

class LocalPartial {
public:
    // Creates the temporary file next to `target` (O_EXCL, O_NOFOLLOW, mode 0600).
    static tl::expected<LocalPartial, Failure> create(const LocalTarget& target);
    // Opens the temporary file `tmp` an interrupted download left next to `target`, to
    // go on writing it; only a regular file of this user's, at least `min_size` long
    // (errors: why not, for the caller to start over instead).
    static tl::expected<LocalPartial, std::error_code> adopt(const LocalTarget& target, const std::string& tmp,
                                                             uint64_t min_size);
    const std::string& name() const { return tmp_; }
    LocalPartial(LocalPartial&& other) noexcept;
    LocalPartial& operator=(LocalPartial&&) = delete;
    ~LocalPartial();  // removes the temporary file unless it was committed

    int fd() const { return fd_; }
    const LocalTarget& target() const { return target_; }

    struct Finish {
        uint64_t size = 0;                 // the file is cut to this
        uint32_t mode = 0600;
        std::optional<timespec> atime, mtime;  // set both or neither
        bool fsync = false;
    };
    // Sets the length, mode and times, flushes if asked, closes and renames into place;
    // with fsync, the directory is flushed too, so the rename itself survives a crash.
    // On failure the temporary file is removed; the message names the target.
    tl::expected<void, Failure> commit(const Finish& finish);
    // Removes the temporary file now.
    void abandon();
    // Closes the temporary file and leaves it in place, for a later run to resume.
    void keep();

private:
    LocalPartial(LocalTarget target, std::string tmp, int fd)
        : target_(std::move(target)), tmp_(std::move(tmp)), fd_(fd) {}
    LocalTarget target_;
    std::string tmp_;  // the temporary file's name in target_.dir_fd
    int fd_ = -1;
    bool done_ = false;
};

}  // namespace netcp
