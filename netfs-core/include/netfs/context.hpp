// A netfs context is what the kernel calls a mount: the collector executor, the object
// pools with their reserves, the background flusher, the folio buffer recycler, stats and
// tracing, shared by the files opened in it.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "netfs/pool.hpp"
#include "netfs/rate_limit.hpp"
#include "netfs/request.hpp"
#include "netfs/stats.hpp"
#include "netfs/trace.hpp"

namespace netfs {

class File;

struct ContextOptions {
    unsigned collector_threads = 1;  // the executor the collector runs on
    // Objects kept in reserve for writeback and retries when allocation fails.
    size_t request_reserve = 8;
    size_t subrequest_reserve = 256;
    size_t buffer_chunk_reserve = 64;
    PoolAllocator allocator;          // how the pools grow (tests make it fail)
    uint32_t max_retries = 16;        // reissues of one span before it fails
    uint32_t max_no_progress = 4;     // successes in a row that wrote no byte before it fails
    size_t folio_recycle_bytes = 64u << 20;  // free folio buffers kept for reuse
    // Limits the bytes per second of every upload and mirror subrequest and every server
    // read of the context's files (null: no limit). It must outlive the context.
    std::shared_ptr<RateLimiter> rate_limit;
};

class Context {
public:
    explicit Context(ContextOptions options = {});
    ~Context();  // every File must be gone
    Context(const Context&) = delete;
    Context& operator=(const Context&) = delete;

    Stats stats() const { return counters_.snapshot(); }
    // Installs (or, with an empty sink, removes) the trace sink. Set it before files are
    // used; it is called from any thread and must be thread-safe.
    void set_trace(TraceSink sink);
    const ContextOptions& options() const { return options_; }

    // Pool statistics, for tests and diagnostics.
    ObjectPool<WriteRequest>::Stats request_pool_stats() const { return requests_.stats(); }
    ObjectPool<Subrequest>::Stats subrequest_pool_stats() const { return subrequests_.stats(); }

private:
    friend struct Engine;
    friend class File;

    void schedule_collection(WriteRequest* req);
    void collector_loop();
    void flusher_loop();
    void kick_flusher(File* f);
    void forget_file(File* f);
    std::shared_ptr<std::byte[]> folio_buffer(uint32_t size);
    void trace(const TraceRecord& r) const;

    ContextOptions options_;
    mutable StatsCounters counters_;
    std::atomic<uint64_t> next_request_id_{1};
    bool tracing_ = false;
    TraceSink trace_sink_;

    ObjectPool<WriteRequest> requests_;
    ObjectPool<Subrequest> subrequests_;
    ObjectPool<WriteRequest::BufferChunk> chunks_;

    // The collector executor: an intrusive queue of requests to collect.
    std::mutex queue_mu_;
    std::condition_variable queue_cv_;
    WriteRequest* queue_head_ = nullptr;
    WriteRequest* queue_tail_ = nullptr;
    // One flag per lock: the collectors read theirs under queue_mu_, the flusher its own
    // under flush_mu_ (one flag shared by both was a data race when a Context was
    // destroyed right after it was made).
    bool collectors_stopping_ = false;
    bool flusher_stopping_ = false;
    std::vector<std::thread> collectors_;

    // The background flusher: files whose dirty data passed their background threshold.
    std::mutex flush_mu_;
    std::condition_variable flush_cv_;
    std::vector<File*> flush_queue_;
    File* flushing_ = nullptr;
    std::thread flusher_;

    // Folio buffers waiting for reuse, by size.
    struct Recycler;
    std::shared_ptr<Recycler> recycler_;
};

}  // namespace netfs
