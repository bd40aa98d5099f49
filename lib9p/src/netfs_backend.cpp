#include "lib9p/netfs_backend.hpp"

#include <array>
#include <vector>

namespace p9 {

NetfsWriteBackend::NetfsWriteBackend(Handle handle, Options options, Reopen reopen)
    : options_(options), reopen_(std::move(reopen)), handle_(std::move(handle)) {
    if (options_.credits == 0) options_.credits = 1;
}

NetfsWriteBackend::~NetfsWriteBackend() = default;

NetfsWriteBackend::Handle NetfsWriteBackend::handle() const {
    std::lock_guard lock(mu_);
    return handle_;
}

unsigned NetfsWriteBackend::reconnects() const {
    std::lock_guard lock(mu_);
    return reconnects_;
}

std::error_code NetfsWriteBackend::begin_request(netfs::WriteRequest&, uint8_t) {
    std::lock_guard lock(mu_);
    if (!handle_.client) return errc::not_connected;
    return {};
}

std::error_code NetfsWriteBackend::prepare_write(netfs::Subrequest&, netfs::Limits& limits) {
    std::lock_guard lock(mu_);
    if (!handle_.client) return errc::not_connected;
    // One Twrite carries at most msize - 24 bytes (diod answers EIO to more).
    limits.max_len = handle_.client->max_io();
    limits.max_segs = netfs::max_segments;
    return {};
}

void NetfsWriteBackend::take_credit() {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [&] { return in_flight_ < options_.credits; });
    ++in_flight_;
}

void NetfsWriteBackend::return_credit() {
    {
        std::lock_guard lock(mu_);
        --in_flight_;
    }
    cv_.notify_one();
}

bool NetfsWriteBackend::connection_lost(std::error_code ec) {
    // A protocol violation (a stray reply) ends the connection too: the client drops it.
    return ec == errc::connection_closed || ec == errc::not_connected || ec == errc::timed_out ||
           ec == errc::protocol_violation;
}

void NetfsWriteBackend::issue_write(netfs::Subrequest& sreq) {
    // The credit is taken here, not in prepare_write: a subrequest being filled must not
    // hold one while the issuer waits (the retryer may need it).
    take_credit();
    Handle h = handle();
    std::array<std::span<const std::byte>, netfs::max_segments> pieces;
    const size_t n = sreq.gather(pieces);
    std::vector<std::span<const std::byte>> gather(pieces.begin(), pieces.begin() + static_cast<ptrdiff_t>(n));
    const uint64_t want = sreq.remaining();
    const bool can_reopen = static_cast<bool>(reopen_);
    h.client->start(Twrite{h.fid, sreq.position(), {}}, std::move(gather),
                    [this, &sreq, want, can_reopen](std::error_code ec, const Message* reply) {
                        return_credit();
                        if (ec) {
                            // A write is idempotent: after a lost connection it is sent again on
                            // a new one. Other errors are classified by netfs (EAGAIN retried).
                            if (connection_lost(ec) && can_reopen) sreq.terminate(ec, netfs::RetryHint::retry);
                            else sreq.terminate(ec);
                            return;
                        }
                        const uint64_t got = std::get<Rwrite>(*reply).count;
                        if (got > want) {
                            sreq.terminate(make_error_code(errc::protocol_violation), netfs::RetryHint::fail);
                            return;
                        }
                        sreq.terminate(got);
                    });
}

netfs::RetryDecision NetfsWriteBackend::retry_request(netfs::WriteRequest&, uint8_t, std::error_code cause) {
    Handle h = handle();
    if (!connection_lost(cause) || (h.client && h.client->connected())) return netfs::RetryDecision::retry;
    {
        std::lock_guard lock(mu_);
        if (!reopen_ || reconnects_ >= options_.max_reconnects) return netfs::RetryDecision::fail;
        ++reconnects_;
    }
    auto fresh = reopen_();
    if (!fresh) return netfs::RetryDecision::fail;
    std::lock_guard lock(mu_);
    handle_ = *fresh;
    return netfs::RetryDecision::retry;
}

}  // namespace p9
