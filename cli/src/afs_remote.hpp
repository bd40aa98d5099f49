// The remote side of a copy in an OpenAFS cell: afs://CELL/PATH is /afs/CELL/PATH. One
// libafs client (one UDP socket) for the run; every operation tries the keys given in
// turn while the fileserver refuses one (ACL, rejected or expired ticket), and starts with
// the key that worked last. Transfers go through netfs-core with libafs's adapter
// (AfsWriteBackend, AfsReadBackend); the cache names a file by its AFS FID and checks its
// data version.
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "afs_setup.hpp"
#include "libafs/client/blocking.hpp"
#include "libafs/netfs/read_backend.hpp"
#include "libafs/netfs/write_stats.hpp"
#include "remote.hpp"

namespace netcp {

class AfsRemote final : public Remote {
public:
    // Creates the client and checks that the cell's root can be reached (a wrong cell or
    // VL server is exit_connection, said at once rather than on the first file).
    static tl::expected<std::unique_ptr<AfsRemote>, Failure> open(const Options& options, const Location& loc);

    std::string url(const std::string& path) const override;
    bool connected() const override { return true; }  // no session: every call finds its server again

    // RemoteAttr::native is the afs::netfs::RemoteFile.
    tl::expected<std::optional<RemoteAttr>, std::error_code> stat(const std::string& path) override;
    std::string stat_failure() const override { return stat_failure_; }
    tl::expected<std::vector<std::string>, std::error_code> list(const std::string& path) override;
    std::error_code mkdir(const std::string& path, uint32_t mode) override;
    std::error_code unlink(const std::string& path) override;
    std::error_code set_dir_attrs(const std::string& path, uint32_t mode,
                                  std::optional<struct timespec> mtime) override;
    // Symbolic links and FIFOs are not copied to or from AFS (yet): operation_not_supported.
    tl::expected<std::string, std::error_code> readlink(const std::string& path) override;
    std::error_code symlink(const std::string& path, const std::string& target) override;
    std::error_code mkfifo(const std::string& path, uint32_t mode) override;
    tl::expected<uint64_t, Failure> upload(Engine& engine, const std::string& local, const struct stat& st,
                                           const std::string& remote_path, int source_fd = -1) override;
    tl::expected<uint64_t, Failure> download(Engine& engine, const std::string& remote_path, const RemoteAttr& attr,
                                             const LocalTarget& local) override;
    std::string stats_text() const override;

private:
    // Appends what a user can do about a refusal (ec) of every key: kinit for an expired
    // Kerberos ticket, or that netcp was anonymous for want of one.
    void add_refusal_hint(std::string& message, std::error_code ec) const;
    // Key k with a fresh Kerberos ticket when its ticket ended (AfsSetup::renew); null if
    // not. Called from the main thread and from the write engine's retry pass.
    afs::client::Identity renew_key(size_t k);
    AfsRemote(const Options& options, Location where, AfsSetup setup,
              std::unique_ptr<afs::client::BlockingClient> client);

    // "/afs/CELL/a/b" for path "a/b".
    std::string afs_path(const std::string& path) const;
    // Runs op(key) with each key, the one that worked last first, until one is not refused.
    template <class T, class Op>
    afs::client::Result<T> with_keys(Op&& op);
    void add_write_stats(const afs::netfs::AfsWriteStats& s);
    void add_read_stats(const afs::netfs::AfsReadStats& s);

    const Options& options_;
    Location where_;
    AfsSetup setup_;
    std::unique_ptr<afs::client::BlockingClient> client_;
    size_t preferred_key_ = 0;
    mutable std::mutex renew_mu_;  // serialises AfsSetup::renew (main thread, retry pass)
    uint64_t key_renewals_ = 0;    // under renew_mu_

    // --stats: what AFS answered, over the whole run.
    struct KeyTotals {
        uint64_t stores = 0, bytes = 0, refused = 0;
    };
    afs::netfs::AfsWriteStats writes_;
    afs::netfs::AfsReadStats reads_;
    std::vector<KeyTotals> per_key_;
    std::string stat_failure_;  // the last failed stat, as libafs tells it
    uint64_t op_refused_ = 0;  // metadata calls (lookup, create, rename...) refused for a key
};

}  // namespace netcp
