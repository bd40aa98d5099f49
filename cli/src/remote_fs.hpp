// The remote side of a copy: one connection to a 9P server, attached to one export,
// with path-based operations for the copy logic.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <tl/expected.hpp>

#include "lib9p/blocking.hpp"
#include "location.hpp"
#include "options.hpp"
#include "report.hpp"

namespace netcp {

class RemoteFs {
public:
    // Connects to the server named by `loc` (or --unix-socket) and attaches to --aname.
    static tl::expected<std::unique_ptr<RemoteFs>, Failure> open(const Options& options, const Location& loc);

    p9::BlockingClient& client() { return *client_; }
    const p9::Fid& root() const { return root_; }
    // "9p://HOST:PORT/path" for messages.
    std::string url(const std::string& path) const;
    // "HOST:PORT" or the socket path: with the export, names the server in cache keys.
    const std::string& endpoint() const { return endpoint_text_; }
    bool connected() const { return client_->async().connected(); }

    p9::result<p9::Fid> walk(const std::string& path);
    // Attributes of `path`, or nullopt if it does not exist. Symbolic links are not followed.
    p9::result<std::optional<p9::Rgetattr>> stat(const std::string& path);
    // The fid of directory `path`, kept for the next call with the same path (the copy
    // visits a directory's entries one after another).
    p9::result<const p9::Fid*> directory(const std::string& path);
    std::error_code mkdir(const std::string& path, uint32_t mode);
    p9::result<std::vector<p9::Dirent>> list(const std::string& path);
    // Removes a non-directory, if present.
    std::error_code unlink(const std::string& path);

private:
    RemoteFs(std::unique_ptr<p9::BlockingClient> client, p9::Fid root, Location where, std::string endpoint);

    std::unique_ptr<p9::BlockingClient> client_;
    p9::Fid root_;
    Location where_;
    std::string endpoint_text_;
    std::string cached_dir_path_;
    p9::Fid cached_dir_;
};

// Splits "a/b/c" into ("a/b", "c"); ("", "c") for a top-level name.
std::pair<std::string, std::string> split_parent(const std::string& path);

}  // namespace netcp
