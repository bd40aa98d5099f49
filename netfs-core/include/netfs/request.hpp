// Write requests, their streams, and subrequests.
//
//   file positions  ──────────────────────────────────────────────────────────►
//   folios          [ 64K ][   256K          ][ 4K ][ 4K ][      1M               ]
//   stream 0 upload [sreq 1  ][sreq 2  ][sreq 3  ]      [sreq 4  ][sreq 5  ][..]   (cut at msize-24)
//   stream 1 cache  [sreq 1                          ][sreq 2                    ] (cut at 1 MiB)
//
// A request carries data in ascending file order for up to max_streams streams. Each
// stream cuts its own subrequests, of any size its adapter allows: a subrequest may span
// many folios or split one, and a stream may have gaps (folios it does not want). The
// issuer hands subrequests to the stream's backend; the backend terminates each exactly
// once, from any thread; the collector (on an executor) consumes terminations in any
// order, advances each stream's contiguous collected front, and ends a folio's writeback
// once every stream that included it has passed its end. Failed or short subrequests are
// re-divided and reissued by the retryer.
//
// Adapters see Subrequest (what to write, and how to report the outcome) and
// WriteRequest (which file, which origin, per-request private slots). Everything else is
// the engine's and is not touched outside netfs-core.
#pragma once

#include <array>
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <span>
#include <system_error>

#include "netfs/folio.hpp"
#include "netfs/limits.hpp"

namespace netfs {

class Context;
class File;
template <class>
class ObjectPool;
class StreamBackend;
class WriteRequest;
struct Engine;

// Why a request exists.
enum class Origin : uint8_t {
    writeback,         // dirty page-cache data pushed out (flush, fsync, background, invalidation)
    write_through,     // write() with write-through: data sent as it is copied in
    unbuffered_write,  // direct write of the caller's buffer, bypassing the page cache
    copy_to_cache,     // clean data read from the server, stored in the local cache only
};
const char* to_string(Origin o);

enum class StreamKind : uint8_t {
    upload,  // the server (stream 0)
    cache,   // the local cache (stream 1)
    mirror,  // another server receiving the same upload (streams 2..)
};

// How a failed subrequest should be treated. An adapter's explicit request wins over the
// error's class (the kernel's precedence makes retryable permission errors unreachable;
// ours does not).
enum class RetryHint : uint8_t {
    by_error,  // netfs decides: EAGAIN, EINTR and netfs::errc::retry are retried, others fail
    retry,     // retry whatever the error (e.g. another key may succeed)
    fail,      // do not retry
};

class Subrequest {
public:
    WriteRequest& request() const { return *req_; }
    uint8_t stream() const { return stream_; }
    uint64_t index() const { return index_; }          // unique within the request, for traces
    uint64_t start() const { return start_; }
    uint64_t length() const { return len_; }
    uint64_t transferred() const { return transferred_; }
    // Where the remaining I/O starts, and how much remains: the adapter writes
    // [position(), position() + remaining()).
    uint64_t position() const { return start_ + transferred_; }
    uint64_t remaining() const { return len_ - transferred_; }
    uint32_t retry_count() const { return retry_count_; }
    bool is_boundary() const { return boundary_; }

    // The data to write from `from` (default: position()), at most `max_bytes`, as
    // scatter/gather pieces pointing into the page cache (or the caller's buffer for
    // unbuffered writes, or the transformed buffer). Returns how many pieces it filled; the
    // data stays valid until terminate(). No copy, no allocation.
    size_t gather(std::span<std::span<const std::byte>> out, uint64_t from = UINT64_MAX,
                  uint64_t max_bytes = UINT64_MAX) const;

    // Reports the outcome, exactly once per issue, from any thread. `bytes` may be fewer
    // than remaining() (a short write: the rest is retried from there).
    void terminate(uint64_t bytes);
    void terminate(std::error_code error, RetryHint hint = RetryHint::by_error);

    // For content transformation (see Transformer): the bytes to send instead of the
    // page data, and the signal that they are ready.
    void set_transformed(std::span<const std::byte> data);
    void transform_done(std::error_code error = {});

    // Free for the adapter (e.g. a credit it holds for this subrequest).
    uintptr_t adapter_data = 0;

private:
    friend struct Engine;
    WriteRequest* req_ = nullptr;
    Subrequest* prev_ = nullptr;
    Subrequest* next_ = nullptr;
    uint64_t index_ = 0;
    uint64_t start_ = 0, len_ = 0, transferred_ = 0;
    uint32_t nr_segs_ = 0;
    uint32_t retry_count_ = 0;
    uint32_t no_progress_ = 0;     // consecutive retries that moved no byte
    uint32_t error_retries_ = 0;   // retries of this span after an error (short writes that moved bytes are free)
    uint8_t stream_ = 0;
    std::error_code error_;
    std::span<const std::byte> transformed_;
    // State, under the request's mutex.
    bool in_progress_ = false;  // linked and not yet finished: being filled, held or in flight
    bool in_flight_ = false;    // handed to the backend, not yet terminated
    bool need_retry_ = false;
    bool failed_ = false;
    bool made_progress_ = false;
    bool boundary_ = false;
    bool held_ = false;         // waiting for its transformed data
    bool deferred_ = false;     // re-divided without a retry of its own (see carry_end_)
    bool retry_requested_ = false;
    // When the retryer cannot get an object for every piece of a span, the last piece
    // carries the rest: once it completes it is treated as short up to carry_end_ and the
    // rest is re-divided in a later pass, with objects freed meanwhile.
    uint64_t carry_end_ = 0;
    Subrequest* issue_next_ = nullptr;  // the retryer's list of pieces to issue
};

class WriteRequest {
public:
    uint64_t id() const { return id_; }
    Origin origin() const { return origin_; }
    File& file() const { return *file_; }
    // The file's size when the request was made, raised as write-through data arrives:
    // what an adapter that stores a length with the data (AFS) must set.
    uint64_t file_size() const { return file_size_.load(); }

    // Free for adapters: per-request private data (9P: a fid; AFS: a key and its record).
    std::array<uintptr_t, 2> adapter_data{};

private:
    friend struct Engine;
    friend class File;
    friend class Context;
    friend class Subrequest;
    template <class>
    friend class ObjectPool;

    struct Stream {
        StreamBackend* backend = nullptr;
        StreamKind kind = StreamKind::upload;
        bool avail = false;      // may be used by this request
        bool begun = false;      // begin_request was called
        bool active = false;     // has had a subrequest: the collector must consider it
        bool failed = false;
        bool need_retry = false;
        Subrequest* construct = nullptr;  // being filled by the issuer
        Limits limits;
        Subrequest* head = nullptr;       // ascending file order; head = oldest uncollected
        Subrequest* tail = nullptr;
        uint64_t collected_to = 0;
        uint64_t failed_at = UINT64_MAX;  // collected_to when the stream failed
        uint64_t transferred = 0;
        uint64_t in_flight_bytes = 0;
        uint64_t max_in_flight_bytes = UINT64_MAX;
        bool throttled = false;  // the issuer waits for in-flight bytes to drop
        std::error_code error;
    };

    struct BufferEntry {
        uint64_t pos = 0;              // file position of data[0]
        const std::byte* data = nullptr;
        uint32_t len = 0;
        FolioRef folio;                // empty for unbuffered writes
        bool copy_to_cache = false;
        bool streaming = false;
        bool to_upload = false;        // stream 0 wanted it (for redirtying on failure)
    };
    struct BufferChunk {
        static constexpr size_t capacity = 30;
        std::array<BufferEntry, capacity> entries;
        size_t head = 0, count = 0;
        BufferChunk* next = nullptr;
    };

    WriteRequest() = default;

    uint64_t id_ = 0;
    Origin origin_ = Origin::writeback;
    File* file_ = nullptr;
    Context* ctx_ = nullptr;  // outlives the file: the collector finishes with it after the file is told
    std::atomic<uint64_t> file_size_{0};
    uint64_t start_ = 0;
    uint8_t nr_streams_ = 0;
    std::atomic<uint64_t> next_sreq_index_{1};

    std::mutex mu_;
    std::condition_variable cv_;   // throttling, pause, quiesce, completion
    int waiters_ = 0;              // threads waiting on cv_ (most terminations wake nobody)
    std::atomic<int> refs_{1};
    std::array<Stream, max_streams> streams_;
    BufferChunk* buf_head_ = nullptr;
    BufferChunk* buf_tail_ = nullptr;
    uint64_t issued_to_ = 0, collected_to_ = 0, cleaned_to_ = 0;
    bool all_queued_ = false, paused_ = false, retrying_ = false, done_ = false;
    bool collecting_ = false, collect_again_ = false;
    std::error_code error_;         // first error of an upload/mirror stream
    uint64_t transferred_ = 0;      // min over upload streams, at completion
    std::function<void(std::error_code, uint64_t)> on_complete_;
    std::atomic<bool> queued_{false};
    WriteRequest* queue_next_ = nullptr;
};

}  // namespace netfs
