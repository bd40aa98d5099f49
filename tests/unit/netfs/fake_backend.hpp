// A deterministic in-memory "server" for netfs-core tests, with fault injection.
//
// It stores what it is sent in a byte array, records every issue, and completes
// subrequests in one of three ways: inline (inside issue_write), on worker threads in
// random order, or when the test pumps them (any order the test picks). A fault hook
// decides, per issue, to fail (with a retry hint or not), to write short, to write
// nothing, or to delay. Limits may shrink at each retry, so spans must be re-divided.
// Nothing on its completion path allocates once started with enough capacity, so it can
// serve the allocation-failure test.
#pragma once

#include <condition_variable>
#include <cstring>
#include <deque>
#include <functional>
#include <mutex>
#include <random>
#include <thread>
#include <vector>

#include "netfs/backend.hpp"

namespace testnetfs {

struct Fault {
    enum Kind { none, error, short_write, zero_write } kind = none;
    std::error_code ec;
    netfs::RetryHint hint = netfs::RetryHint::by_error;
    uint64_t bytes = 0;  // for short_write: bytes actually written (< remaining)
};

struct IssueRecord {
    uint64_t request, sreq, start, len;
    uint32_t retry_count;
    uint8_t stream;
};

class FakeBackend : public netfs::StreamBackend {
public:
    enum class Completion { inline_, threads, manual };
    struct Options {
        netfs::StreamKind kind = netfs::StreamKind::upload;
        uint64_t max_len = 64 << 10;
        uint32_t max_segs = netfs::max_segments;
        uint64_t boundary_every = 0;     // ask for a boundary at every multiple of this
        Completion completion = Completion::inline_;
        unsigned workers = 2;
        uint64_t seed = 1;
        uint64_t shrink_on_retry = 0;    // divide max_len by this on each retry_request (min 1 KiB)
        size_t capacity = 1 << 16;       // issue records preallocated
        uint64_t content_size = 64 << 20;
    };

    explicit FakeBackend(Options o);
    ~FakeBackend() override;

    netfs::StreamKind kind() const override { return opt_.kind; }
    const char* name() const override { return "fake"; }
    std::error_code begin_request(netfs::WriteRequest& req, uint8_t stream) override;
    std::error_code prepare_write(netfs::Subrequest& sreq, netfs::Limits& limits) override;
    void issue_write(netfs::Subrequest& sreq) override;
    netfs::RetryDecision retry_request(netfs::WriteRequest& req, uint8_t stream, std::error_code cause) override;
    void end_request(netfs::WriteRequest& req, uint8_t stream, std::error_code error) override;
    void invalidate_cache(netfs::WriteRequest& req, uint8_t stream) override;

    // Fault hook: called under the backend's lock for each issue, with a running count.
    std::function<Fault(const netfs::Subrequest&, uint64_t nth)> fault;
    // begin_request fails with this error when set.
    std::error_code begin_error;
    // retry_request returns fail when this is true.
    bool refuse_retry = false;

    // Manual mode: complete one pending subrequest (index into pending()); false if none.
    bool complete_one(size_t which);
    size_t pending() const;
    // Wait until `n` subrequests are pending (manual mode) or the timeout passes.
    bool wait_pending(size_t n, std::chrono::milliseconds timeout);

    // What a server-side truncate does to the stored bytes (tests mirror File::truncate).
    void truncate(uint64_t size);

    std::vector<std::byte> content() const;
    std::vector<uint8_t> written_mask() const;  // 1 where some write landed
    std::vector<IssueRecord> issues() const;
    // Every write that landed, in landing order (request, subrequest, retry, start, len).
    std::vector<IssueRecord> landings() const;
    uint64_t retry_requests() const { return retry_requests_; }
    uint64_t invalidations() const { return invalidations_; }
    uint64_t current_max_len() const;

private:
    struct Task {
        netfs::Subrequest* sreq;
        Fault fault;
    };
    void run(Task t);
    void worker();

    Options opt_;
    mutable std::mutex mu_;
    std::condition_variable cv_;
    std::vector<std::byte> content_;
    std::vector<uint8_t> written_;
    std::vector<IssueRecord> issues_;
    std::vector<IssueRecord> landings_;
    std::vector<Task> queue_;
    uint64_t nth_ = 0;
    uint64_t max_len_;
    uint64_t retry_requests_ = 0, invalidations_ = 0;
    bool stop_ = false;
    std::mt19937_64 rng_;
    std::vector<std::thread> workers_;
};

}  // namespace testnetfs
