// Buffered reads: from the page cache, else the local cache, else the server.
//
// A sequential reader gets a readahead window that doubles up to readahead_max; folios in
// the window are filled asynchronously (the reader waits only for the folio it needs
// next). A folio the cache holds whole is filled from the cache, in the reader's thread
// (a local read); otherwise from the server in max_read pieces straight into the folio;
// a short answer is asked again for the rest, and the file ending early is an error.
// Folios filled from the server are marked copy-to-cache and left dirty for stream 1
// only: writeback stores them in the cache, never on the server, and never stalls the
// reader (past cache_backlog_limit, new pages are simply not cached).
#include <algorithm>
#include <cstring>
#include <functional>
#include <vector>

#include "engine.hpp"

namespace netfs {

namespace {
constexpr uint64_t initial_window = 128u << 10;

// Shared by the pieces of one folio's server read.
struct FillState {
    std::mutex mu;
    size_t pending = 0;
    uint64_t len = 0;  // bytes of the folio read from the server
    std::error_code error;
    std::vector<std::byte> bounce;  // for a folio that already holds some valid bytes
};

// Reads all of dst from pos, asking again after each short answer (a server may send
// fewer bytes than asked anywhere in a file). No progress before dst is full means the
// file ended before the size it had when the read began: it changed, and that is an
// error, never zeros. Every answer moves at least one byte, so this ends.
// With a rate limit, each read waits for its slot on the limiter's thread (never in the
// thread that issues it, which may hold the file's lock or be the client's I/O thread).
void read_whole(ReadBackend* reader, RateLimiter* limit, uint64_t pos, std::span<std::byte> dst,
                std::function<void(std::error_code)> done) {
    auto send = [reader, limit, pos, dst, done = std::move(done)]() mutable {
        reader->read(pos, dst, [reader, limit, pos, dst, done = std::move(done)](std::error_code ec, size_t got) mutable {
            if (!ec && got > dst.size()) ec = make_error_code(std::errc::protocol_error);  // more than asked
            else if (!ec && got == 0) ec = make_error_code(errc::remote_changed);
            if (ec || got == dst.size()) return done(ec);
            read_whole(reader, limit, pos + got, dst.subspan(got), std::move(done));
        });
    };
    if (limit) limit->defer(dst.size(), std::move(send));
    else send();
}
}  // namespace

ReadStats File::read_stats() const {
    std::lock_guard lock(mu_);
    return read_stats_;
}

result<size_t> File::read(uint64_t pos, std::span<std::byte> out) {
    std::unique_lock lock(mu_);
    if (pos >= size_ || out.empty()) return size_t{0};
    const uint64_t end = std::min<uint64_t>(pos + out.size(), size_);
    // Readahead grows while the reader reads sequentially, and starts small otherwise.
    ra_window_ = pos == ra_next_ ? std::min(std::max(ra_window_ * 2, initial_window), options_.readahead_max)
                                 : initial_window;
    readahead_locked(lock, pos, std::min(size_, std::max(end, pos + ra_window_)));
    size_t done = 0;
    // Waits for the fill of `g` to end; its error if it failed (the fill's own error, a
    // timeout or a lost connection, says more than EIO).
    auto fill_failure = [&](const FolioRef& g) -> std::error_code {
        wait_locked(lock, [&] { return !g->reading; });
        if (!g->read_failed) return {};
        ra_next_ = UINT64_MAX;
        return g->read_error ? g->read_error : make_error_code(std::errc::io_error);
    };
    while (pos + done < end) {
        const uint64_t at = pos + done;
        FolioRef f;
        bool ours = false;  // f is the folio a fill was just started for
        auto next = folios_.upper_bound(at);
        if (next != folios_.begin() && std::prev(next)->second->end() > at) f = std::prev(next)->second;
        if (!f) {
            // A fill that failed (even one that completed before we looked) is the
            // reader's error; otherwise the folio was evicted meanwhile or never read.
            if (read_error_ && at >= read_error_pos_ && at < read_error_end_) {
                const std::error_code ec = std::exchange(read_error_, {});
                ra_next_ = UINT64_MAX;
                if (done > 0) return done;
                return fail(ec);
            }
            // Hold the folio this fill is for: a fill that fails (perhaps at once, on a
            // connection already known dead) takes it out of the page cache, and looking it
            // up again would only start another fill, forever.
            f = readahead_locked(lock, at, std::min(size_, std::max(end, at + 1)));
            if (!f) return done > 0 ? result<size_t>(done) : fail(make_error_code(std::errc::io_error));
            ours = true;
        }
        if (f->reading || ours) {
            if (const std::error_code ec = fill_failure(f)) return done > 0 ? result<size_t>(done) : fail(ec);
            continue;
        }
        const uint64_t off = at - f->pos;
        uint64_t vbeg = 0, vend = f->size;
        if (!f->uptodate) {
            vbeg = f->valid_off;
            vend = f->valid_off + f->valid_len;
        }
        if (off < vbeg || off >= vend) {
            // Part of a folio we wrote but never read: the rest comes from the server,
            // once its bytes are no longer being sent.
            if (f->writeback) {
                wait_locked(lock, [&] { return !f->writeback; });
                continue;
            }
            // A failed fill of a dirty folio leaves it in the page cache: wait for this
            // fill and report its failure rather than starting another.
            FolioRef filled = readahead_locked(lock, at, std::min(size_, f->end()));
            if (!filled) return done > 0 ? result<size_t>(done) : fail(make_error_code(std::errc::io_error));
            if (const std::error_code ec = fill_failure(filled)) return done > 0 ? result<size_t>(done) : fail(ec);
            continue;
        }
        const size_t n = static_cast<size_t>(std::min<uint64_t>(vend - off, end - at));
        std::memcpy(out.data() + done, f->data.get() + off, n);
        if (f->in_lru) {
            lru_remove_locked(f.get());
            lru_add_locked(f.get());
        }
        done += n;
    }
    ra_next_ = pos + done;
    return done;
}

FolioRef File::readahead_locked(std::unique_lock<std::mutex>& lock, uint64_t start, uint64_t end) {
    if (!options_.reader && !options_.cache) return nullptr;
    std::vector<std::pair<FolioRef, bool>> to_fill;  // folio, and whether the cache holds it whole
    FolioRef first;                                  // the folio holding `start`
    uint64_t p = start;
    while (p < end) {
        FolioRef f;
        auto next = folios_.upper_bound(p);
        if (next != folios_.begin() && std::prev(next)->second->end() > p) f = std::prev(next)->second;
        if (f) {
            if (!f->uptodate && !f->reading && !f->writeback) {
                start_fill_locked(*f);  // fill around what it holds
                to_fill.emplace_back(f, false);
            }
            if (!first) first = f;
            p = f->end();
            continue;
        }
        f = folio_for_write(lock, p);  // a fresh folio, not dirty: nothing to wait for
        start_fill_locked(*f);
        to_fill.emplace_back(f, false);
        if (!first) first = f;
        p = f->end();
    }
    if (to_fill.empty()) return first;
    const uint64_t size = size_;
    // Each fill counts as I/O until finish_fill is done with the file: the destructor and
    // flush wait for it, so a completion on a server thread never outlives the File.
    io_count_ += static_cast<int>(to_fill.size());
    lock.unlock();
    for (auto& [f, whole_in_cache] : to_fill) {
        const uint64_t len = std::min<uint64_t>(f->size, size - std::min(size, f->pos));
        if (options_.cache && options_.cache->usable() && len > 0 && f->valid_len == 0) {
            auto e = options_.cache->next_present(f->pos);
            whole_in_cache = e && e->pos <= f->pos && e->pos + e->len >= f->pos + len;
        }
        fill_folio(f, whole_in_cache);
    }
    lock.lock();
    return first;
}

void File::start_fill_locked(Folio& f) {
    f.reading = true;
    f.read_failed = false;  // an earlier fill's failure is not this one's
    f.read_error = {};
}

void File::fill_folio(const FolioRef& f, bool from_cache) {
    uint64_t size;
    bool has_valid;
    {
        std::lock_guard lock(mu_);
        size = size_;
        has_valid = !f->uptodate && f->valid_len > 0;
    }
    const uint64_t len = f->pos < size ? std::min<uint64_t>(f->size, size - f->pos) : 0;
    if (from_cache && !has_valid) {
        std::error_code ec = options_.cache->read(f->pos, std::span(f->data.get(), len));
        if (!ec) {
            std::memset(f->data.get() + len, 0, f->size - len);
            {
                std::lock_guard lock(mu_);
                read_stats_.from_cache += len;
            }
            finish_fill(f, {}, nullptr, /*from_cache=*/true);
            return;
        }
        // The cache could not serve it after all: the server will.
    }
    if (len == 0 || !options_.reader) {
        std::memset(f->data.get() + len, 0, f->size - len);
        finish_fill(f, len == 0 ? std::error_code{} : make_error_code(std::errc::io_error), nullptr, false);
        return;
    }
    auto st = std::make_shared<FillState>();
    std::byte* base = f->data.get();
    if (has_valid) {
        st->bounce.resize(f->size);
        base = st->bounce.data();
    }
    std::memset(base + len, 0, f->size - len);
    const uint64_t piece = std::max<uint64_t>(options_.reader->max_read(), 4096);
    st->pending = static_cast<size_t>((len + piece - 1) / piece);
    st->len = len;
    {
        std::lock_guard lock(mu_);
        read_stats_.server_reads += st->pending;
    }
    for (uint64_t off = 0; off < len; off += piece) {
        const uint64_t n = std::min(piece, len - off);
        auto dst = std::span(base + off, n);
        read_whole(options_.reader, ctx_.options().rate_limit.get(), f->pos + off, dst, [this, f, st](std::error_code ec) {
            bool last;
            {
                std::lock_guard lock(st->mu);
                if (ec && !st->error) st->error = ec;
                last = --st->pending == 0;
            }
            if (!last) return;
            {
                std::lock_guard lock(mu_);
                if (!st->error) read_stats_.from_server += st->len;
            }
            finish_fill(f, st->error, st->bounce.empty() ? nullptr : &st->bounce, false);
        });
    }
}

void File::finish_fill(const FolioRef& f, std::error_code ec, const std::vector<std::byte>* merge,
                       bool from_cache) {
    bool kick = false;
    {
        std::lock_guard lock(mu_);
        f->reading = false;
        if (ec) {
            f->read_failed = true;
            f->read_error = ec;
            read_error_ = ec;
            read_error_pos_ = f->pos;
            read_error_end_ = f->end();
            auto it = folios_.find(f->pos);
            if (it != folios_.end() && it->second == f && !f->dirty && !f->writeback) {
                lru_remove_locked(f.get());
                cached_bytes_ -= f->size;
                folios_.erase(it);
            }
        } else {
            if (merge) {
                // Keep the bytes we hold (perhaps dirty); take the rest from the server.
                const uint32_t vb = f->valid_off, ve = f->valid_off + f->valid_len;
                std::memcpy(f->data.get(), merge->data(), vb);
                std::memcpy(f->data.get() + ve, merge->data() + ve, f->size - ve);
            }
            f->uptodate = true;
            f->valid_off = f->valid_len = 0;
            const bool cacheable = options_.cache && options_.cache->usable() && !f->dirty && !f->writeback;
            if (cacheable && !from_cache) {
                if (copy_backlog_ + f->size <= options_.cache_backlog_limit) {
                    f->copy_to_cache = true;
                    f->dirty = true;
                    dirty_bytes_ += f->size;
                    copy_backlog_ += f->size;
                    lru_remove_locked(f.get());
                    kick = dirty_bytes_ > options_.dirty_background;
                } else {
                    read_stats_.cache_skipped += f->size;
                    lru_add_locked(f.get());
                }
            } else if (!f->dirty && !f->writeback) {
                lru_add_locked(f.get());
            }
        }
        notify_locked();
    }
    if (kick) ctx_.kick_flusher(this);
    std::lock_guard lock(mu_);
    --io_count_;
    notify_locked();  // under the lock, as request_done does
}

}  // namespace netfs
