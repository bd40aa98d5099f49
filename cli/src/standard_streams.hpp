// `-` as an operand: standard input as the one source of an upload, standard output as
// the destination of one download.
//
// Both go through a temporary file in $TMPDIR (or /tmp): an upload must know the file's
// size before it starts (AFS stores carry it) and may have to send a span again after a
// lost connection, which a pipe cannot give twice; a download is checked whole (every
// byte, the file unchanged on the server) before the first byte reaches standard output,
// so a reader of the pipe never gets a file that netcp then calls failed. Standard input
// that is already a regular file (`< file`) is read in place.
#pragma once

#include <sys/stat.h>

#include <cstdint>
#include <utility>
#include <string>

#include <tl/expected.hpp>

#include "local_dir.hpp"

namespace netcp {

// Standard input, ready to upload: an open regular file and its stat (a fresh file's
// mode, 0666 before the umask; the time it was read).
struct SpooledInput {
    int fd = -1;  // owned
    struct stat st {};
    SpooledInput() = default;
    SpooledInput(SpooledInput&& o) noexcept : fd(std::exchange(o.fd, -1)), st(o.st) {}
    SpooledInput& operator=(SpooledInput&&) = delete;
    ~SpooledInput();
};
// Reads standard input to its end into an unnamed temporary file (or takes it as it is
// if it is a regular file). `stop` is polled between reads (SIGINT).
tl::expected<SpooledInput, std::string> spool_standard_input(bool (*stop)());

// A private directory (mode 0700) for a download that does not go to a destination of
// its own (standard output; --checksum's read-back of the server's copy), removed with
// what is left in it on destruction.
class DownloadSpool {
public:
    static tl::expected<DownloadSpool, std::string> create();
    DownloadSpool(DownloadSpool&& o) noexcept : path_(std::move(o.path_)), dir_(std::move(o.dir_)) { o.path_.clear(); }
    DownloadSpool& operator=(DownloadSpool&&) = delete;
    ~DownloadSpool();
    int dir_fd() const { return dir_.get(); }
    static constexpr const char* name = "download";
    // The downloaded file, opened read-only (-1 with errno set if it cannot be).
    int open_download() const;
    // Writes the downloaded file (`size` bytes) to standard output; the error says why not
    // (a reader that went away is EPIPE).
    std::string copy_to_stdout(uint64_t size) const;

private:
    DownloadSpool(std::string path, DirFd dir) : path_(std::move(path)), dir_(std::move(dir)) {}
    std::string path_;
    DirFd dir_;
};

}  // namespace netcp
