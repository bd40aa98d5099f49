// The remote side of a copy, whatever the protocol: path-based operations for the copy
// logic (copy.cpp) and the two transfers. RemoteFs speaks 9P, AfsRemote AFS; open_remote
// picks one from the URL's scheme.
#pragma once

#include <sys/stat.h>

#include <any>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

#include <tl/expected.hpp>

#include "local_partial.hpp"
#include "location.hpp"
#include "options.hpp"
#include "report.hpp"

namespace netcp {

class Engine;

// What the copy needs to know about a remote file, in POSIX terms.
struct RemoteAttr {
    uint32_t mode = 0;  // S_IFMT bits and permissions
    uint64_t size = 0;
    uint64_t mtime_sec = 0, mtime_nsec = 0;
    uint64_t atime_sec = 0, atime_nsec = 0;
    // What the protocol said, for its own download (the 9P qid, the AFS file): the copy
    // hands it back untouched.
    std::any native;
};

class Remote {
public:
    virtual ~Remote() = default;

    // "9p://HOST:PORT/path", "afs://CELL/path" for messages.
    virtual std::string url(const std::string& path) const = 0;
    // False once the connection is lost (noticed by a failed call, or by the client while
    // idle between two calls).
    virtual bool connected() const = 0;
    // Connects again if the connection is lost (a few attempts, backing off): the copy
    // calls it between entries, where nothing else would notice. An error means the server
    // cannot be reached: what is left is not copied, and said so.
    virtual std::error_code restore_connection() { return {}; }

    // Attributes of `path`, or nullopt if it does not exist.
    virtual tl::expected<std::optional<RemoteAttr>, std::error_code> stat(const std::string& path) = 0;
    // What the server said about the last failed stat, when the error code alone does not
    // say it (which volume a dangling AFS mount point names); empty otherwise.
    virtual std::string stat_failure() const { return {}; }
    // The names in directory `path` ("." and ".." left out).
    virtual tl::expected<std::vector<std::string>, std::error_code> list(const std::string& path) = 0;
    // The copy will stat these entries of directory `dir`, in this order: a protocol may
    // ask for their attributes ahead (9P: StatPrefetch). Only a hint.
    virtual void expect_stats(const std::string& dir, const std::vector<std::string>& names) {
        (void)dir;
        (void)names;
    }
    virtual std::error_code mkdir(const std::string& path, uint32_t mode) = 0;
    // Removes a non-directory, if present.
    virtual std::error_code unlink(const std::string& path) = 0;
    // Sets a directory's mode and, if given, its modification time.
    virtual std::error_code set_dir_attrs(const std::string& path, uint32_t mode,
                                          std::optional<struct timespec> mtime) = 0;
    // Special files: errc::operation_not_supported where the protocol has none.
    virtual tl::expected<std::string, std::error_code> readlink(const std::string& path) = 0;
    virtual std::error_code symlink(const std::string& path, const std::string& target) = 0;
    virtual std::error_code mkfifo(const std::string& path, uint32_t mode) = 0;

    // Uploads local regular file `local` (stat'ed as `st`) to `remote_path` through the
    // engine, under a temporary name renamed into place once every byte is stored. With
    // `source_fd`, the data is read from that open file instead (standard input spooled
    // to a temporary file); `local` only names it in messages.
    virtual tl::expected<uint64_t, Failure> upload(Engine& engine, const std::string& local, const struct stat& st,
                                                   const std::string& remote_path, int source_fd = -1) = 0;
    // Downloads remote regular file `remote_path` (attributes `attr`) to `local`, through a
    // temporary name beside it as well. Returns the bytes copied: exactly the file's bytes,
    // or a failure (a file that changed on the server while it was read is one).
    virtual tl::expected<uint64_t, Failure> download(Engine& engine, const std::string& remote_path,
                                                     const RemoteAttr& attr, const LocalTarget& local) = 0;

    // Protocol counters for --stats (after the engine's); empty if none.
    virtual std::string stats_text() const { return {}; }
};

// Connects to the server or cell `loc` names, as the options say.
tl::expected<std::unique_ptr<Remote>, Failure> open_remote(const Options& options, const Location& loc);

// Splits "a/b/c" into ("a/b", "c"); ("", "c") for a top-level name.
std::pair<std::string, std::string> split_parent(const std::string& path);

// The temporary name used while `name` is being written: ".NAME.netcp-XXXXXX.partial".
std::string partial_name(const std::string& name);
// Whether `tmp` is a name partial_name(name) could have returned (a resume journal's
// partial file is taken up, or removed, only then).
bool is_partial_name(const std::string& tmp, const std::string& name);

// The mode a new file or directory gets: the source's permission bits, less the umask
// unless --preserve.
uint32_t target_mode(uint32_t source_mode, bool preserve);

}  // namespace netcp
