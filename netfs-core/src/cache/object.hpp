// One open cache entry: the backing file (locked while this object lives), its extent map
// and coherency, written by netfs as the cache stream and read by buffered reads.
//
// Disk order, so that a crash never leaves a record describing bytes that are not there:
// the in-use mark is made durable before the backing file is first modified (a write, an
// invalidation, a truncation); commit() syncs the backing file, then replaces the record
// (extents, coherency, mark cleared). An object only read never writes its mark, so warm
// reads cost no fsync.
#pragma once

#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>

#include "entry_lock.hpp"
#include "netfs/cache/extent_map.hpp"
#include "layout.hpp"
#include "netfs/cache/cache.hpp"
#include "record.hpp"

namespace netfs::cache {

class Store;

class ObjectImpl final : public Object {
public:
    ObjectImpl(std::shared_ptr<Store> store, Key key, EntryPaths paths, EntryLock lock, Coherency coherency,
               ExtentMap extents, bool marked);
    ~ObjectImpl() override;

    const char* name() const override { return "disk cache"; }
    std::error_code prepare_write(Subrequest& sreq, Limits& limits) override;
    void issue_write(Subrequest& sreq) override;
    void invalidate_cache(WriteRequest& req, uint8_t stream) override;

    Coherency coherency() const override;
    void set_coherency(const Coherency& c) override;
    std::optional<Extent> next_present(uint64_t pos) const override;
    std::error_code read(uint64_t pos, std::span<std::byte> dst) override;
    bool usable() const override { return usable_.load(std::memory_order_acquire); }
    std::string failure() const override;
    void invalidate() override;
    uint64_t bytes_read() const override { return read_.load(); }
    uint64_t bytes_written() const override { return written_.load(); }
    std::error_code commit() override;

private:
    void write_job(Subrequest& sreq);
    // Space for [pos, +len) under the size limit; an error fails the object.
    std::error_code reserve(uint64_t pos, uint64_t len, uint64_t& reserved, uint64_t& generation);
    std::error_code ensure_marked();                               // needs disk_mu_ (any mode)
    void fail_locked(std::string why, std::error_code ec);        // needs mu_
    Record record_locked(bool in_use) const;                      // needs mu_
    void wait_idle();

    const std::shared_ptr<Store> store_;
    const Key key_;
    const EntryPaths paths_;
    const EntryLock lock_;

    // Writes hold it shared while they touch the backing file; commit and invalidate hold
    // it exclusively, so no write lands between their sync and their record.
    std::shared_mutex disk_mu_;
    std::mutex mark_mu_;  // one record write at a time

    mutable std::mutex mu_;
    std::condition_variable idle_cv_;
    ExtentMap extents_;
    Coherency coherency_;
    int64_t last_used_ns_;
    bool marked_;              // the durable record says in use
    bool dirty_ = false;       // changed since the last commit
    bool committed_ = false;
    uint64_t reserved_ = 0;    // bytes of writes in progress counted against the limit
    uint64_t generation_ = 0;  // bumped when data is dropped: late writes are not recorded
    int in_flight_ = 0;        // issued, not yet finished
    std::string failure_;
    std::error_code failure_code_;
    std::atomic<bool> usable_{true};
    std::atomic<uint64_t> read_{0}, written_{0};
};

}  // namespace netfs::cache
