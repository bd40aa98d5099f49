// The remote side of a copy over 9P: one connection to a 9P server, attached to one
// export, with path-based operations for the copy logic.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <tl/expected.hpp>

#include "lib9p/blocking.hpp"
#include "lib9p/munge.hpp"
#include "location.hpp"
#include "options.hpp"
#include "remote.hpp"
#include "stat_prefetch.hpp"
#include "report.hpp"

namespace netcp {

class RemoteFs final : public Remote {
public:
    // Connects to the server named by `loc` (or --unix-socket) and attaches to --aname.
    static tl::expected<std::unique_ptr<RemoteFs>, Failure> open(const Options& options, const Location& loc);

    p9::BlockingClient& client() { return *client_; }
    const p9::Fid& root() const { return root_; }
    // "9p://HOST:PORT/path" for messages.
    std::string url(const std::string& path) const override;
    // "HOST:PORT" or the socket path: with the export, names the server in cache keys.
    const std::string& endpoint() const { return endpoint_text_; }
    bool connected() const override { return client_->async().connected(); }
    const Options& options() const { return options_; }
    // The group given to what this connection creates (see group_for in remote_fs.cpp).
    uint32_t gid() const { return gid_; }

    // A new connection to the same server with the same options, attached again to the
    // same export as the same user; on success it replaces the current one. Afterwards
    // client(), root() and directory() refer to the new connection, and nothing obtained
    // from the old one (its client, its fids) may be used for requests: they fail at once,
    // as the old connection is closed. The old client is kept alive until
    // release_retired(), because this may run on a netfs collector or worker thread
    // while requests on the old client are still finishing, and tearing a client down
    // waits for its I/O thread. Not thread-safe: one caller at a time, while no other
    // thread uses this RemoteFs.
    std::error_code reconnect();
    std::error_code restore_connection() override;
    // Frees the clients reconnect() replaced. Only when nothing can still hold them (no
    // transfer running, every netfs backend of the old connection destroyed).
    void release_retired() { retired_.clear(); }
    // Successful reconnections so far (for messages and tests).
    unsigned reconnections() const { return reconnections_; }

    p9::result<p9::Fid> walk(const std::string& path);
    // Attributes of `path`, or nullopt if it does not exist. Symbolic links are not followed.
    p9::result<std::optional<p9::Rgetattr>> getattr(const std::string& path);
    // The fid of directory `path`, kept for the next call with the same path (the copy
    // visits a directory's entries one after another).
    p9::result<const p9::Fid*> directory(const std::string& path);

    // Remote: RemoteAttr::native is the p9::Rgetattr.
    tl::expected<std::optional<RemoteAttr>, std::error_code> stat(const std::string& path) override;
    tl::expected<std::vector<std::string>, std::error_code> list(const std::string& path) override;
    void expect_stats(const std::string& dir, const std::vector<std::string>& names) override;
    std::error_code mkdir(const std::string& path, uint32_t mode) override;
    std::error_code unlink(const std::string& path) override;
    std::error_code set_dir_attrs(const std::string& path, uint32_t mode,
                                  std::optional<struct timespec> mtime) override;
    tl::expected<std::string, std::error_code> readlink(const std::string& path) override;
    std::error_code symlink(const std::string& path, const std::string& target) override;
    std::error_code mkfifo(const std::string& path, uint32_t mode) override;
    tl::expected<uint64_t, Failure> upload(Engine& engine, const std::string& local, const struct stat& st,
                                           const std::string& remote_path, int source_fd = -1) override;
    tl::expected<uint64_t, Failure> download(Engine& engine, const std::string& remote_path, const RemoteAttr& attr,
                                             const LocalTarget& local) override;

private:
    RemoteFs(const Options& options, Location where, p9::Endpoint ep, p9::ClientOptions client_options,
             std::string uname, uint32_t uid);
    // A new connection, attached (and authenticated, as --auth says).
    struct Connection {
        std::unique_ptr<p9::BlockingClient> client;
        p9::Fid root;
    };
    struct ConnectError {
        std::error_code ec;
        bool connected = false;  // the connection was made; the attach (or auth) failed
    };
    tl::expected<Connection, ConnectError> attach_new() const;
    // What a failed attach_new() means for a user (exit 4, naming the cause).
    Failure attach_failure(std::error_code ec) const;

    const Options& options_;
    std::unique_ptr<p9::BlockingClient> client_;
    p9::Fid root_;
    Location where_;
    std::string endpoint_text_;
    std::string cached_dir_path_;
    p9::Fid cached_dir_;
    // What reconnect() needs to make the same connection again.
    p9::Endpoint ep_;
    p9::ClientOptions client_options_;
    std::string uname_;
    uint32_t uid_ = 0;
    uint32_t gid_ = 0;
    // MUNGE credentials for servers that ask for authentication (--auth, --munge-socket).
    std::unique_ptr<p9::MungeAuthenticator> munge_;
    p9::AttachAuth auth_;
    std::vector<std::unique_ptr<p9::BlockingClient>> retired_;
    unsigned reconnections_ = 0;
    // Attributes asked ahead for the entries the copy walks; destroyed before the client.
    StatPrefetch prefetch_;

    template <class Op>
    auto reconnecting(Op&& op) -> decltype(op());
    std::error_code set_dir_attrs_once(const std::string& path, uint32_t mode, std::optional<struct timespec> mtime);

public:
    ~RemoteFs() override;
};

}  // namespace netcp
