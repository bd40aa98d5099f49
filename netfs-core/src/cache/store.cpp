#include "store.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <climits>

#include "entry_lock.hpp"
#include "object.hpp"
#include "posix_io.hpp"
#include "record.hpp"

namespace netfs::cache {
namespace {

// How old the index may be before opening or writing rescans the directory.
constexpr auto rescan_interval = std::chrono::seconds(1);
constexpr unsigned writer_threads = 2;

uint64_t backing_bytes(const std::string& data_path) {
    struct stat st;
    return ::stat(data_path.c_str(), &st) == 0 ? static_cast<uint64_t>(st.st_blocks) * 512 : 0;
}

}  // namespace

int64_t now_ns() {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now().time_since_epoch())
        .count();
}

Store::Store(Layout layout, Options options)
    : layout_(std::move(layout)), options_(options), pool_(writer_threads) {
    counters_.size_limit = options_.size_limit;
}

result<std::shared_ptr<Object>> Store::open_object(const Key& key, const Coherency& now) {
    const uint64_t limit = options_.size_limit;
    // A file larger than the whole cache would cull everything else and still not fit.
    if (limit && now.size > limit) return fail(std::make_error_code(std::errc::file_too_large));
    EntryPaths paths = layout_.entry(key);
    std::error_code dir_ec = io::make_dir(paths.subdir);
    if (dir_ec == std::errc::no_such_file_or_directory) {
        // The tree was removed under us (rm -r of the cache's contents): make it again.
        dir_ec = layout_.create();
        if (!dir_ec) dir_ec = io::make_dir(paths.subdir);
    }
    if (dir_ec) return fail(dir_ec);
    auto lock = EntryLock::acquire(paths, /*create=*/true);
    if (!lock) return fail(lock.error());  // EBUSY: another object (in any process) has it open

    enum class Found { none, valid, torn, stale } found = Found::none;
    ExtentMap extents;
    if (auto bytes = io::read_small_file(paths.meta)) {
        auto rec = decode(*bytes);
        if (!rec || rec->in_use) {
            found = Found::torn;  // damaged, or marked in use by a holder that is gone (we hold the lock)
        } else if (rec->key != key || rec->coherency != now) {
            found = Found::stale;
        } else {
            found = Found::valid;
            extents = ExtentMap::from(rec->extents);
            // A backing file shorter than its record (damaged from outside) is not served.
            uint64_t end = 0;
            for (const Extent& e : rec->extents) end = std::max(end, e.pos + e.len);
            struct stat st;
            if (::fstat(lock->fd(), &st) < 0) return fail(io::errno_code());
            if (static_cast<uint64_t>(st.st_size) < end) {
                found = Found::torn;
                extents.clear();
            }
        }
    } else if (bytes.error() != std::errc::no_such_file_or_directory) {
        found = Found::torn;  // unreadable: do not trust it
    }

    bool marked = false;
    if (found == Found::torn || found == Found::stale) {
        // Mark before truncating: the old record describes the bytes we drop. The mark is
        // cleared by the object's commit.
        const Record mark{key, now, {}, now_ns(), true};
        if (auto ec = io::replace_file(paths.meta, paths.temp(), encode(mark), /*durable=*/true)) return fail(ec);
        marked = true;
        if (::ftruncate(lock->fd(), 0) < 0) return fail(io::errno_code());
    } else if (found == Found::none) {
        // No record: whatever the file holds (a crash before the first mark) means nothing.
        struct stat st;
        if (::fstat(lock->fd(), &st) == 0 && st.st_size > 0 && ::ftruncate(lock->fd(), 0) < 0)
            return fail(io::errno_code());
    }

    const uint64_t held = extents.bytes();
    auto obj = std::make_shared<ObjectImpl>(shared_from_this(), key, paths, std::move(*lock), now, std::move(extents),
                                            marked);
    {
        std::lock_guard g(mu_);
        if (found == Found::valid && held > 0) ++counters_.hits;
        else ++counters_.misses;
        if (found == Found::torn) ++counters_.discarded_torn;
        if (found == Found::stale) ++counters_.discarded_stale;
        if (auto it = index_.find(paths.hash); it != index_.end()) index_bytes_ -= it->second.cached;
        live_[paths.hash] = Live{key, now, held, now_ns()};
        live_bytes_ += held;
    }
    if (limit) {
        std::lock_guard c(cull_mu_);
        rescan_if_stale();
        bool over;
        {
            std::lock_guard g(mu_);
            over = total_locked() > limit;
        }
        if (over) cull_locked(0, false);
    }
    return std::shared_ptr<Object>(std::move(obj));
}

void Store::set_live(const std::string& hash, uint64_t bytes) {
    std::lock_guard g(mu_);
    auto it = live_.find(hash);
    if (it == live_.end()) return;
    live_bytes_ = live_bytes_ - it->second.bytes + bytes;
    it->second.bytes = bytes;
}

void Store::set_live_coherency(const std::string& hash, const Coherency& c) {
    std::lock_guard g(mu_);
    if (auto it = live_.find(hash); it != live_.end()) it->second.coherency = c;
}

void Store::unregister_live(const std::string& hash, bool removed, const Live& last) {
    const uint64_t backing = removed ? 0 : backing_bytes(layout_.entry(hash).data);
    std::lock_guard g(mu_);
    if (auto it = live_.find(hash); it != live_.end()) {
        live_bytes_ -= it->second.bytes;
        live_.erase(it);
    }
    if (removed) {
        index_.erase(hash);
        return;
    }
    Indexed& e = index_[hash];
    e = Indexed{true, false, last.key, last.coherency, last.bytes, backing, last.last_used_ns};
    index_bytes_ += e.cached;
}

bool Store::make_room(uint64_t need) {
    const uint64_t limit = options_.size_limit;
    if (!limit) return true;
    {
        std::lock_guard g(mu_);
        if (total_locked() + need <= limit) return true;
    }
    std::lock_guard c(cull_mu_);
    rescan_if_stale();
    return cull_locked(need, false);
}

std::error_code Store::rescan() {
    auto listing = layout_.scan();
    if (!listing) return listing.error();
    std::map<std::string, Indexed> fresh;
    for (const std::string& hash : listing->hashes) {
        const EntryPaths paths = layout_.entry(hash);
        Indexed e;
        auto bytes = io::read_small_file(paths.meta);
        if (bytes) {
            if (auto rec = decode(*bytes)) {
                e.valid = true;
                e.marked = rec->in_use;
                e.key = std::move(rec->key);
                e.coherency = rec->coherency;
                e.last_used_ns = rec->last_used_ns;
                for (const Extent& x : rec->extents) e.cached += x.len;
            }
        }
        struct stat st;
        if (::stat(paths.data.c_str(), &st) == 0) e.backing = static_cast<uint64_t>(st.st_blocks) * 512;
        else if (!bytes) continue;  // removed while we looked
        fresh.emplace(hash, std::move(e));
    }
    std::lock_guard g(mu_);
    index_ = std::move(fresh);
    index_bytes_ = 0;
    for (auto& [hash, e] : index_)
        if (!live_.count(hash)) index_bytes_ += e.cached;
    stale_temps_ = std::move(listing->stale_temps);
    scanned_at_ = std::chrono::steady_clock::now();
    scanned_ = true;
    return {};
}

void Store::rescan_if_stale() {
    bool stale;
    {
        std::lock_guard g(mu_);
        stale = !scanned_ || std::chrono::steady_clock::now() - scanned_at_ > rescan_interval;
    }
    if (stale) (void)rescan();  // on failure the old index is the best we have
}

bool Store::cull_locked(uint64_t need, bool housekeeping) {
    const uint64_t limit = options_.size_limit;
    struct Candidate {
        bool junk;  // an orphan backing file, a damaged record, or a torn entry
        bool torn;
        int64_t last_used_ns;
        uint64_t cached;
        std::string hash;
    };
    std::vector<Candidate> candidates;
    {
        std::lock_guard g(mu_);
        for (auto& [hash, e] : index_)
            if (!live_.count(hash)) candidates.push_back({!e.valid || e.marked, e.valid && e.marked, e.last_used_ns, e.cached, hash});
    }
    // Junk first (it is worth nothing), then least recently used first.
    std::sort(candidates.begin(), candidates.end(), [](const Candidate& a, const Candidate& b) {
        if (a.junk != b.junk) return a.junk;
        return a.last_used_ns < b.last_used_ns;
    });
    auto over = [&] {
        std::lock_guard g(mu_);
        return limit && total_locked() + need > limit;
    };
    for (const Candidate& c : candidates) {
        if (!over() && !(housekeeping && c.junk)) {
            if (c.junk) continue;
            break;
        }
        if (!remove_entry(c.hash)) continue;  // in use (a live object, or a torn entry being reopened)
        std::lock_guard g(mu_);
        if (c.torn) {
            ++counters_.discarded_torn;
        } else if (!c.junk) {
            ++counters_.culled_entries;
            counters_.culled_bytes += c.cached;
        }
        forget_locked(c.hash);
    }
    if (housekeeping) {
        std::vector<std::string> temps;
        {
            std::lock_guard g(mu_);
            temps.swap(stale_temps_);
        }
        for (const std::string& t : temps) ::unlink(t.c_str());
    }
    return !over();
}

bool Store::remove_entry(const std::string& hash) {
    const EntryPaths paths = layout_.entry(hash);
    auto lock = EntryLock::acquire(paths, /*create=*/false);
    if (!lock) {
        if (lock.error() != std::errc::no_such_file_or_directory) return false;
        // A record without a backing file describes nothing.
        return ::unlink(paths.meta.c_str()) == 0 || errno == ENOENT;
    }
    // The record first: a backing file without a record is worth nothing, while a record
    // without its file would be trusted until the next open noticed.
    if (::unlink(paths.meta.c_str()) < 0 && errno != ENOENT) return false;
    ::unlink(paths.data.c_str());
    return true;
}

void Store::forget_locked(const std::string& hash) {
    auto it = index_.find(hash);
    if (it == index_.end() || live_.count(hash)) return;
    index_bytes_ -= it->second.cached;
    index_.erase(it);
}

Stats Store::stats() {
    std::lock_guard c(cull_mu_);
    (void)rescan();
    std::lock_guard g(mu_);
    Stats s = counters_;
    s.entries = s.cached_bytes = s.backing_bytes = 0;
    for (auto& [hash, e] : index_) {
        if (e.valid || live_.count(hash)) ++s.entries;
        s.backing_bytes += e.backing;
    }
    for (auto& [hash, l] : live_)
        if (!index_.count(hash)) ++s.entries;
    s.cached_bytes = total_locked();
    return s;
}

std::vector<EntryInfo> Store::list() {
    std::lock_guard c(cull_mu_);
    (void)rescan();
    std::vector<EntryInfo> out;
    std::vector<std::pair<size_t, std::string>> to_probe;  // entries another process may hold
    {
        std::lock_guard g(mu_);
        for (auto& [hash, e] : index_) {
            if (auto l = live_.find(hash); l != live_.end()) {
                out.push_back({l->second.key, l->second.coherency, l->second.bytes, e.backing,
                               l->second.last_used_ns / 1'000'000'000, true});
            } else if (e.valid) {
                out.push_back({e.key, e.coherency, e.cached, e.backing, e.last_used_ns / 1'000'000'000, e.marked});
                if (!e.marked) to_probe.emplace_back(out.size() - 1, hash);
            }
        }
    }
    for (auto& [i, hash] : to_probe) out[i].in_use = EntryLock::held(layout_.entry(hash).data);
    return out;
}

result<size_t> Store::clear() {
    std::lock_guard c(cull_mu_);
    if (auto ec = rescan()) return fail(ec);
    std::vector<std::string> hashes;
    std::vector<std::string> temps;
    {
        std::lock_guard g(mu_);
        for (auto& [hash, e] : index_)
            if (!live_.count(hash)) hashes.push_back(hash);
        temps.swap(stale_temps_);
    }
    size_t removed = 0;
    for (const std::string& h : hashes) {
        if (!remove_entry(h)) continue;
        ++removed;
        std::lock_guard g(mu_);
        forget_locked(h);
    }
    for (const std::string& t : temps) ::unlink(t.c_str());
    return removed;
}

std::error_code Store::cull() {
    std::lock_guard c(cull_mu_);
    if (auto ec = rescan()) return ec;
    cull_locked(0, /*housekeeping=*/true);
    return {};
}

}  // namespace netfs::cache
