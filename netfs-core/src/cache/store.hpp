// What a Cache and its objects share: the layout, the options, the worker threads, the
// counters, and an index of the entries on disk with the bytes each holds, used for the
// size limit. Objects keep the store alive (they may outlive the Cache handle).
//
// The index is rebuilt by scanning the records (there is no shared index file, so there
// is nothing for several processes to corrupt or lock). stats(), list(), clear() and
// cull() scan every time; opening and writing scan at most once a second and otherwise
// trust the index plus their own changes, so another process's new data is seen late
// and the limit may be overshot by it until the next scan.
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "layout.hpp"
#include "netfs/cache/cache.hpp"
#include "worker_pool.hpp"

namespace netfs::cache {

int64_t now_ns();

class Store : public std::enable_shared_from_this<Store> {
public:
    Store(Layout layout, Options options);

    const Layout& layout() const { return layout_; }
    const Options& options() const { return options_; }
    WorkerPool& pool() { return pool_; }

    result<std::shared_ptr<Object>> open_object(const Key& key, const Coherency& now);
    Stats stats();
    std::vector<EntryInfo> list();
    result<size_t> clear();
    std::error_code cull();

    // For objects. What an open object holds (present bytes plus the bytes of writes it has
    // reserved room for) counts against the limit and is never culled.
    struct Live {
        Key key;
        Coherency coherency;
        uint64_t bytes = 0;
        int64_t last_used_ns = 0;
    };
    void set_live(const std::string& hash, uint64_t bytes);
    void set_live_coherency(const std::string& hash, const Coherency& c);
    // Room for `need` more bytes: culls until the total plus `need` is within the limit.
    // False if it cannot be (everything else is in use). The caller then counts the bytes
    // as its own with set_live; two writers may both get the same room, so the limit can
    // be overshot by a write or two in flight.
    bool make_room(uint64_t need);
    // The object is gone: what it left on disk (nothing if `removed`).
    void unregister_live(const std::string& hash, bool removed, const Live& final_state);

private:
    struct Indexed {
        bool valid = false;  // a readable record (else an orphan backing file or a damaged record)
        bool marked = false;
        Key key;
        Coherency coherency;
        uint64_t cached = 0, backing = 0;
        int64_t last_used_ns = 0;
    };

    std::error_code rescan();            // needs cull_mu_
    void rescan_if_stale();              // needs cull_mu_
    bool cull_locked(uint64_t need, bool housekeeping);  // needs cull_mu_
    uint64_t total_locked() const { return index_bytes_ + live_bytes_; }  // needs mu_
    // Removes an entry nobody holds; false if someone does (or it could not be removed).
    bool remove_entry(const std::string& hash);
    void forget_locked(const std::string& hash);  // needs mu_

    const Layout layout_;
    const Options options_;

    std::mutex cull_mu_;  // one scan or cull at a time (they do disk I/O without mu_)
    std::mutex mu_;       // the index, the live objects, the counters
    std::map<std::string, Indexed> index_;
    std::map<std::string, Live> live_;
    uint64_t index_bytes_ = 0;  // cached bytes of indexed entries that are not live
    uint64_t live_bytes_ = 0;
    std::vector<std::string> stale_temps_;
    std::chrono::steady_clock::time_point scanned_at_{};
    bool scanned_ = false;
    Stats counters_;

    WorkerPool pool_;  // last: its threads finish before the rest goes
};

}  // namespace netfs::cache
