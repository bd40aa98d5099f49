// The write engine's internals, one section per source file (as the kernel's
// fs/netfs/internal.h). Nothing here is visible to adapters.
#pragma once

#include "netfs/backend.hpp"
#include "netfs/context.hpp"
#include "netfs/file.hpp"
#include "netfs/request.hpp"

namespace netfs {

struct Engine {
    using Stream = WriteRequest::Stream;
    using BufferEntry = WriteRequest::BufferEntry;
    using BufferChunk = WriteRequest::BufferChunk;

    // objects.cpp: request and subrequest lifetimes
    static WriteRequest* create_request(File& file, Origin origin, uint64_t start);
    static void get(WriteRequest* req) { req->refs_.fetch_add(1, std::memory_order_relaxed); }
    static void put(WriteRequest* req);
    static Subrequest* new_subrequest(WriteRequest& req, uint8_t stream, uint64_t start, bool may_wait);
    static void free_subrequest(Subrequest* sreq);
    static void append_entry(WriteRequest& req, BufferEntry entry);
    static void trace(WriteRequest& req, TraceEvent ev, const Subrequest* sreq = nullptr, int stream = -1,
                      uint64_t start = 0, uint64_t len = 0, int64_t value = 0);

    // write_issue.cpp: the issuer
    static void write_folio(WriteRequest& req, const FolioRef& folio, uint32_t off, uint32_t len);
    static void write_span(WriteRequest& req, uint64_t pos, const std::byte* data, uint64_t len);
    static uint64_t advance(WriteRequest& req, uint8_t stream, uint64_t pos, uint64_t len);
    static void issue(WriteRequest& req, uint8_t stream);
    static void submit(Subrequest& sreq);
    static void end_issue(WriteRequest& req);
    static bool begin_stream(WriteRequest& req, uint8_t stream);
    static uint64_t fit_segments_locked(WriteRequest& req, uint64_t pos, uint64_t len, uint32_t max_segs);

    // subrequest.cpp: termination, gathering, transformation
    static void terminated(Subrequest& sreq, uint64_t bytes, std::error_code ec, RetryHint hint);

    // write_collect.cpp: the collector
    static void collect(WriteRequest& req);
    static void fail_stream_locked(WriteRequest& req, Stream& s, std::error_code ec);

    // write_retry.cpp: the retryer (called by the collector with the request lock held)
    static bool retry_locked(WriteRequest& req, std::unique_lock<std::mutex>& lock);
    static void retry_stream_locked(WriteRequest& req, uint8_t stream, std::unique_lock<std::mutex>& lock);

    static bool retryable(std::error_code ec);

    // Waits on the request's condition variable, counted so that notifiers skip the
    // wake-up (a futex call per termination) when nobody waits.
    template <class Pred>
    static void wait(WriteRequest& req, std::unique_lock<std::mutex>& lock, Pred pred) {
        ++req.waiters_;
        req.cv_.wait(lock, pred);
        --req.waiters_;
    }
    static void notify_locked(WriteRequest& req) {
        if (req.waiters_) req.cv_.notify_all();
    }
};

}  // namespace netfs
