// The 9P adapter for netfs-core: writes a file's subrequests as Twrites.
//
// Each subrequest becomes one Twrite of at most msize - 24 bytes whose payload is gathered
// straight from the page-cache folios (or the caller's buffer for direct writes): no copy.
// Many Twrites are in flight on one connection, bounded by a credit budget. A short
// Rwrite is finished by netfs's retryer; a lost connection is retried after reopening the
// file on a fresh connection, if the owner supplied a way to do that.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>

#include "lib9p/client.hpp"
#include "netfs/backend.hpp"
#include "netfs/read.hpp"

namespace p9 {

class NetfsWriteBackend final : public netfs::StreamBackend {
public:
    // An open file: the client and a fid opened for writing on it.
    struct Handle {
        std::shared_ptr<Client> client;
        uint32_t fid = nofid;
    };
    // Reopens the file (new connection, attach, walk, open for writing without
    // truncating) after the connection was lost. Called by the retryer.
    using Reopen = std::function<result<Handle>()>;

    struct Options {
        unsigned credits = 16;              // Twrites in flight at once
        netfs::StreamKind kind = netfs::StreamKind::upload;
        unsigned max_reconnects = 3;        // per backend, over its lifetime
    };

    NetfsWriteBackend(Handle handle, Options options, Reopen reopen = {});
    ~NetfsWriteBackend() override;

    netfs::StreamKind kind() const override { return options_.kind; }
    const char* name() const override { return "9p"; }
    std::error_code begin_request(netfs::WriteRequest& req, uint8_t stream) override;
    std::error_code prepare_write(netfs::Subrequest& sreq, netfs::Limits& limits) override;
    void issue_write(netfs::Subrequest& sreq) override;
    netfs::RetryDecision retry_request(netfs::WriteRequest& req, uint8_t stream, std::error_code cause) override;

    // The current handle (it changes after a reconnect).
    Handle handle() const;
    unsigned reconnects() const;

private:
    void take_credit();
    void return_credit();
    static bool connection_lost(std::error_code ec);

    Options options_;
    Reopen reopen_;
    mutable std::mutex mu_;
    std::condition_variable cv_;
    Handle handle_;
    unsigned in_flight_ = 0;
    unsigned reconnects_ = 0;
};

}  // namespace p9

namespace p9 {

// The 9P read side for netfs-core's buffered reads: one Tread per call, at most
// msize - 24 bytes, copied by the client straight into the folio.
class NetfsReadBackend final : public netfs::ReadBackend {
public:
    explicit NetfsReadBackend(NetfsWriteBackend::Handle handle) : handle_(std::move(handle)) {}
    uint64_t max_read() const override { return handle_.client->max_io(); }
    void read(uint64_t pos, std::span<std::byte> dst, std::function<void(std::error_code, size_t)> done) override {
        handle_.client->async_read(handle_.fid, pos, dst, std::move(done));
    }

private:
    NetfsWriteBackend::Handle handle_;
};

}  // namespace p9
