// A file as netfs-core sees it: a page cache of folios in front of one or more write
// streams. Buffered writes land in the page cache and writeback pushes them out;
// write-through sends each folio as soon as it is filled; direct writes bypass the page
// cache (after writing back and dropping what it held for their range, so the page cache
// and the server never disagree). flush() returns success only when everything written
// reached the server, otherwise the first error; data that failed stays dirty.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <span>
#include <system_error>
#include <vector>

#include "netfs/backend.hpp"
#include "netfs/cache/cache.hpp"
#include "netfs/read.hpp"
#include "netfs/context.hpp"
#include "netfs/error.hpp"
#include "netfs/folio.hpp"

namespace netfs {

struct StreamConfig {
    StreamBackend* backend = nullptr;            // null: the stream is not used
    uint64_t max_in_flight_bytes = 32u << 20;    // the issuer waits when a stream has this much out
};

struct FileOptions {
    // streams[0]: the upload backend (null for a file that is only read); streams[1]:
    // the cache (optional; set `cache` instead to use a persistent cache object);
    // streams[2..]: mirrors.
    std::vector<StreamConfig> streams;
    // Buffered reads: the server, and the local cache, whose object then also serves as
    // stream 1. Pages read from the server are written to the cache by writeback.
    ReadBackend* reader = nullptr;
    cache::Object* cache = nullptr;
    uint64_t readahead_max = 8u << 20;   // the largest readahead window
    // Server data waiting to be written to the cache beyond this is not cached (the
    // cache must never stall a reader); those ranges are read from the server next time.
    uint64_t cache_backlog_limit = 128u << 20;
    uint32_t folio_size = 256u << 10;             // size of new folios (power of two, 4 KiB..1 MiB)
    std::function<uint32_t(uint64_t pos)> folio_size_policy;  // optional: per-position sizes
    uint64_t dirty_limit = 64u << 20;             // writers wait above this much dirty data
    uint64_t dirty_background = 8u << 20;         // background writeback starts above this
    uint64_t writeback_budget = 16u << 20;        // bytes one background pass takes
    uint64_t cache_limit = 256u << 20;            // clean folios beyond this are dropped (LRU)
    uint64_t remote_size = 0;                     // size of the file on the server when opened
    Transformer* transformer = nullptr;           // content transformation between cut and issue
    // Called on a collector thread each time buffered data in [pos, pos + len) has reached
    // every stream (its folio's writeback ended and was not redirtied), in no particular
    // order across requests: what a caller records to resume an interrupted transfer.
    // Direct writes report through their own completion instead. Keep it short: the
    // collector waits for it.
    std::function<void(uint64_t pos, uint64_t len)> on_stored;
};

class File {
public:
    File(Context& ctx, FileOptions options);
    // Waits for requests still in flight; does not flush (call flush() first).
    ~File();
    File(const File&) = delete;
    File& operator=(const File&) = delete;

    // Buffered write: copies into the page cache. Waits only for folios whose bytes are
    // being sent, and for the dirty limit. Like write(2) it may copy less than asked (when
    // a partial folio had to be written back first and that failed): it returns the bytes
    // copied, or the error if none were. Over the dirty limit while writeback keeps
    // failing, it returns that error (copying nothing) instead of waiting forever.
    result<size_t> write(uint64_t pos, std::span<const std::byte> data);
    // Write-through: as write(), but each folio is sent as soon as the copy fills it; waits
    // for those sends (a trailing partial folio is left dirty for later). Returns the bytes
    // copied, as write() does; a send that failed leaves its data dirty and its error is
    // returned by the next flush().
    result<size_t> write_through(uint64_t pos, std::span<const std::byte> data);
    // Buffered writes whose data comes from `fill(pos, dst)`, which must fill dst with the
    // bytes for file position pos (e.g. a pread from a local file): into a fresh folio it
    // writes straight into the page cache, saving a copy. An error from fill stops the
    // write (what was filled before counts, as for write()).
    using Filler = std::function<std::error_code(uint64_t pos, std::span<std::byte> dst)>;
    result<size_t> write_from(uint64_t pos, uint64_t len, const Filler& fill);
    result<size_t> write_through_from(uint64_t pos, uint64_t len, const Filler& fill);
    // Unbuffered write of the caller's buffer; waits for it. Returns bytes written.
    result<size_t> write_direct(uint64_t pos, std::span<const std::byte> data);
    // The same, asynchronous: `data` must stay valid until `done` runs (on the collector).
    void write_direct_async(uint64_t pos, std::span<const std::byte> data,
                            std::function<void(std::error_code, uint64_t)> done);

    // Writes back everything dirty and waits for every request of this file. Returns the
    // first error since the last flush (and forgets it), or success if all data reached
    // the upload streams.
    std::error_code flush();
    // Starts writeback of up to writeback_budget bytes unless another writeback runs.
    void writeback_background();
    // Writes back the dirty data in [start, end), then drops the folios there.
    std::error_code invalidate(uint64_t start, uint64_t end);
    // Writes back and drops the folios at or beyond `size`, and sets the size.
    std::error_code truncate(uint64_t size);

    // Buffered read: from the page cache, else the local cache, else the server, with
    // readahead for sequential access. Returns the bytes read (0 at the end of file).
    result<size_t> read(uint64_t pos, std::span<std::byte> out);
    ReadStats read_stats() const;
    // Bytes the upload stream (stream 0) has acknowledged for this file so far (a span
    // sent again after a retry counts again). Any thread, lock-free.
    uint64_t bytes_acknowledged() const { return acknowledged_.load(std::memory_order_relaxed); }

    // Puts clean data (just read from the server) in the page cache; with copy_to_cache
    // it is also sent to the cache stream by the next writeback.
    void insert_clean(uint64_t pos, std::span<const std::byte> data, bool copy_to_cache);
    // Copies what the page cache holds at pos (contiguous valid bytes) into out.
    size_t read_cached(uint64_t pos, std::span<std::byte> out) const;

    uint64_t size() const;
    uint64_t blocks() const;        // 512-byte units, as stat reports
    uint64_t dirty_bytes() const;
    uint64_t cached_bytes() const;
    size_t nr_folios() const;
    Context& context() const { return ctx_; }
    const FileOptions& options() const { return options_; }

private:
    friend struct Engine;
    friend class Context;

    enum class Pass { sync, background };
    // Sends dirty folios in [start, end) (sync: all of them; background: up to the budget,
    // skipping if another writeback holds the lock). Returns the request to wait on.
    WriteRequest* writeback(Pass pass, uint64_t start, uint64_t end);
    std::error_code wait_request(WriteRequest* req);
    FolioRef folio_for_write(std::unique_lock<std::mutex>& lock, uint64_t pos);
    uint32_t folio_size_at(uint64_t pos) const;
    void evict_clean_locked();
    void lru_remove_locked(Folio* f);
    void lru_add_locked(Folio* f);
    void drop_folios_locked(uint64_t start, uint64_t end);
    void end_folio_writeback(const FolioRef& f, uint64_t data_end, bool redirty);
    void request_done(WriteRequest& req);
    std::error_code throttle_dirty();
    // Starts fills for what [start, end) lacks; returns the folio holding `start` (null
    // when the file has nothing to read from).
    FolioRef readahead_locked(std::unique_lock<std::mutex>& lock, uint64_t start, uint64_t end);
    void start_fill_locked(Folio& f);
    void fill_folio(const FolioRef& f, bool from_cache);
    void finish_fill(const FolioRef& f, std::error_code ec, const std::vector<std::byte>* merge, bool from_cache);
    void clear_copy_mark_locked(Folio* f);
    result<size_t> copy_in(uint64_t pos, uint64_t len, const Filler& fill, WriteRequest** through);
    // Waits on cv_, counting the waiter so notifiers can skip the wake-up when nobody waits.
    template <class Pred>
    void wait_locked(std::unique_lock<std::mutex>& lock, Pred pred) {
        ++waiters_;
        cv_.wait(lock, pred);
        --waiters_;
    }
    void notify_locked() {
        if (waiters_) cv_.notify_all();
    }

    Context& ctx_;
    FileOptions options_;

    // The page cache.
    mutable std::mutex mu_;
    std::condition_variable cv_;           // folio writeback ended, dirty data shrank, requests done
    std::map<uint64_t, FolioRef> folios_;  // by position
    uint64_t size_ = 0;
    uint64_t blocks_ = 0;
    uint64_t zero_point_ = 0;              // the server holds no data at or beyond this
    uint64_t dirty_bytes_ = 0;
    uint64_t cached_bytes_ = 0;
    uint64_t use_clock_ = 0;
    Folio* lru_head_ = nullptr;            // clean folios, least recently used first
    Folio* lru_tail_ = nullptr;
    uint64_t wb_cursor_ = 0;               // where background writeback resumes
    int io_count_ = 0;                     // requests and folio fills not yet complete
    int waiters_ = 0;                      // threads waiting on cv_
    std::error_code error_;                // first write error since the last flush
    uint64_t ra_next_ = UINT64_MAX;        // where a sequential reader reads next
    uint64_t ra_window_ = 0;               // current readahead window
    uint64_t copy_backlog_ = 0;            // copy-to-cache bytes waiting for writeback
    std::error_code read_error_;           // a fill of [read_error_pos_, read_error_end_) failed
    uint64_t read_error_pos_ = 0, read_error_end_ = 0;
    ReadStats read_stats_;
    std::atomic<uint64_t> acknowledged_{0};  // bytes_acknowledged()
    bool queued_for_flush_ = false;

    std::mutex wb_mu_;                     // one writeback request at a time per file
};

}  // namespace netfs
