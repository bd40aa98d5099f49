// A download's local destination while it is being written: a hidden temporary file
// (".NAME.netcp-XXXXXX.partial") next to the final name, renamed over it only when every
// byte is there, so a destination never looks complete when it is not. Any protocol's
// download writes through one.
#pragma once

#include <sys/stat.h>

#include <cstdint>
#include <optional>
#include <string>

#include <tl/expected.hpp>

#include "report.hpp"

namespace netcp {

class LocalPartial {
public:
    // Creates the temporary file next to `local`.
    static tl::expected<LocalPartial, Failure> create(const std::string& local);
    LocalPartial(LocalPartial&& other) noexcept;
    LocalPartial& operator=(LocalPartial&&) = delete;
    ~LocalPartial();  // removes the temporary file unless it was committed

    int fd() const { return fd_; }
    const std::string& temp_path() const { return tmp_; }

    struct Finish {
        uint64_t size = 0;                 // the file is cut to this
        uint32_t mode = 0600;
        std::optional<timespec> atime, mtime;  // set both or neither
        bool fsync = false;
    };
    // Sets the length, mode and times, flushes if asked, closes and renames into place.
    // On failure the temporary file is removed; the message names `local`.
    tl::expected<void, Failure> commit(const Finish& finish);
    // Removes the temporary file now.
    void abandon();

private:
    LocalPartial(std::string local, std::string tmp, int fd) : local_(std::move(local)), tmp_(std::move(tmp)), fd_(fd) {}
    std::string local_, tmp_;
    int fd_ = -1;
    bool done_ = false;
};

}  // namespace netcp
