// The file's page cache: folios, their dirty/writeback/uptodate state, the LRU of clean
// folios, and the dirty limits. Everything here runs under the file's page lock (mu_),
// which is never held while calling into a request or a backend.
#include <algorithm>
#include <bit>
#include <cstring>
#include <stdexcept>
#include <vector>

#include "engine.hpp"

namespace netfs {

namespace {

uint64_t blocks_of(uint64_t bytes) { return (bytes + 511) / 512; }

uint32_t normalise_folio_size(uint32_t size) {
    size = std::clamp(size, min_folio_size, max_folio_size);
    return std::bit_floor(size);
}

}  // namespace

File::File(Context& ctx, FileOptions options) : ctx_(ctx), options_(std::move(options)) {
    if (options_.streams.empty()) options_.streams.resize(1);  // no upload: a file that is only read
    if (options_.cache) {
        // The persistent cache object is stream 1.
        if (options_.streams.size() < 2) options_.streams.resize(2);
        options_.streams[1].backend = options_.cache;
        if (!options_.streams[1].max_in_flight_bytes) options_.streams[1].max_in_flight_bytes = 32u << 20;
    }
    if (options_.streams.size() > max_streams) throw std::invalid_argument("netfs::File: too many streams");
    options_.folio_size = normalise_folio_size(options_.folio_size);
    size_ = zero_point_ = options_.remote_size;
    blocks_ = blocks_of(size_);
}

File::~File() {
    ctx_.forget_file(this);
    std::unique_lock lock(mu_);
    wait_locked(lock, [&] { return io_count_ == 0; });
    for (auto& [pos, f] : folios_) f->in_lru = false;
}

uint64_t File::size() const {
    std::lock_guard lock(mu_);
    return size_;
}
uint64_t File::blocks() const {
    std::lock_guard lock(mu_);
    return blocks_;
}
uint64_t File::dirty_bytes() const {
    std::lock_guard lock(mu_);
    return dirty_bytes_;
}
uint64_t File::cached_bytes() const {
    std::lock_guard lock(mu_);
    return cached_bytes_;
}
size_t File::nr_folios() const {
    std::lock_guard lock(mu_);
    return folios_.size();
}

uint32_t File::folio_size_at(uint64_t pos) const {
    return options_.folio_size_policy ? normalise_folio_size(options_.folio_size_policy(pos)) : options_.folio_size;
}

void File::lru_remove_locked(Folio* f) {
    if (!f->in_lru) return;
    if (f->lru_prev) f->lru_prev->lru_next = f->lru_next;
    else lru_head_ = f->lru_next;
    if (f->lru_next) f->lru_next->lru_prev = f->lru_prev;
    else lru_tail_ = f->lru_prev;
    f->lru_prev = f->lru_next = nullptr;
    f->in_lru = false;
}

void File::lru_add_locked(Folio* f) {
    if (f->in_lru || f->dirty || f->writeback) return;
    f->lru_prev = lru_tail_;
    f->lru_next = nullptr;
    if (lru_tail_) lru_tail_->lru_next = f;
    else lru_head_ = f;
    lru_tail_ = f;
    f->in_lru = true;
}

void File::clear_copy_mark_locked(Folio* f) {
    if (!f->copy_to_cache) return;
    f->copy_to_cache = false;
    copy_backlog_ -= std::min<uint64_t>(copy_backlog_, f->size);
}

void File::evict_clean_locked() {
    while (cached_bytes_ > options_.cache_limit && lru_head_) {
        Folio* f = lru_head_;
        lru_remove_locked(f);
        cached_bytes_ -= f->size;
        folios_.erase(f->pos);  // may free f
    }
}

// The folio that holds `pos`, made if there is none: the largest size the policy allows
// that is aligned and does not overlap a neighbour.
FolioRef File::folio_for_write(std::unique_lock<std::mutex>&, uint64_t pos) {
    auto next = folios_.upper_bound(pos);
    if (next != folios_.begin()) {
        auto prev = std::prev(next);
        if (prev->second->pos <= pos && pos < prev->second->end()) {
            Folio* f = prev->second.get();
            if (f->in_lru) {  // touched: most recently used
                lru_remove_locked(f);
                lru_add_locked(f);
            }
            return prev->second;
        }
    }
    const uint64_t prev_end = next == folios_.begin() ? 0 : std::prev(next)->second->end();
    const uint64_t next_pos = next == folios_.end() ? UINT64_MAX : next->second->pos;
    uint32_t size = folio_size_at(pos);
    uint64_t fpos = pos & ~uint64_t(size - 1);
    while (size > min_folio_size && (fpos < prev_end || fpos + size > next_pos)) {
        size /= 2;
        fpos = pos & ~uint64_t(size - 1);
    }
    auto f = std::make_shared<Folio>(fpos, size, ctx_.folio_buffer(size));
    folios_.emplace(fpos, f);
    cached_bytes_ += size;
    evict_clean_locked();
    return f;
}

result<size_t> File::copy_in(uint64_t pos, uint64_t len, const Filler& fill, WriteRequest** through) {
    size_t done = 0;
    while (done < len) {
        const uint64_t at = pos + done;
        std::unique_lock lock(mu_);
        FolioRef f = folio_for_write(lock, at);
        if (f->writeback) {
            // Its bytes are being sent: wait for this folio only, not the whole request.
            // Then look it up again: once clean it sits in the LRU, and another writer's new
            // folio may have evicted it meanwhile; bytes copied into an evicted folio would
            // never be written back (found by the racing-writers property test).
            ++ctx_.counters_.writeback_waits;
            wait_locked(lock, [&] { return !f->writeback; });
            continue;
        }
        const uint32_t off = static_cast<uint32_t>(at - f->pos);
        const uint32_t n = static_cast<uint32_t>(std::min<uint64_t>(f->size - off, len - done));
        const bool whole = off == 0 && n == f->size;
        const bool fresh = !f->uptodate && f->valid_len == 0;
        if (!f->uptodate && !whole && f->valid_len > 0) {
            const uint32_t voff = f->valid_off, vend = f->valid_off + f->valid_len;
            const bool touches = off <= vend && off + n >= voff;
            if (!touches) {
                if (f->dirty) {
                    // A second, separate range in a folio we cannot fill: send the first
                    // range before starting the second.
                    WriteRequest* req = nullptr;
                    if (through) {
                        // Write-through holds the writeback lock: send the folio through
                        // its own request (it comes after everything already in it).
                        f->dirty = false;
                        dirty_bytes_ -= f->size;
                        f->writeback = true;
                        const uint32_t eoff = f->valid_off;
                        const uint64_t elen = std::min<uint64_t>(f->valid_len, size_ - (f->pos + eoff));
                        lock.unlock();
                        if (!*through) *through = Engine::create_request(*this, Origin::write_through, f->pos + eoff);
                        Engine::write_folio(**through, f, eoff, static_cast<uint32_t>(elen));
                        req = std::exchange(*through, nullptr);
                        Engine::end_issue(*req);
                    } else {
                        lock.unlock();
                        req = writeback(Pass::sync, f->pos, f->end());
                    }
                    if (req) {
                        // Like write(2): what was copied so far counts; an error only if nothing was.
                        if (auto ec = wait_request(req)) return done > 0 ? result<size_t>(done) : fail(ec);
                    }
                    continue;  // look again: the folio is clean now
                }
                f->valid_len = 0;  // clean: its old range is on the server; start afresh
            }
        }
        const bool zero_rest = fresh && !whole && f->pos >= zero_point_;  // the server holds nothing here
        if (zero_rest) std::memset(f->data.get(), 0, f->size);
        // Into a folio that holds nothing valid, fill straight into the page cache; a
        // failed fill then spoils nothing. Otherwise go through a bounce buffer, so a
        // failure cannot clobber valid (perhaps dirty) bytes.
        std::span<std::byte> dst(f->data.get() + off, n);
        std::error_code fec;
        if (fresh) {
            fec = fill(at, dst);
        } else {
            thread_local std::vector<std::byte> bounce;
            bounce.resize(n);
            fec = fill(at, bounce);
            if (!fec) std::memcpy(dst.data(), bounce.data(), n);
        }
        if (fec) return done > 0 ? result<size_t>(done) : fail(fec);
        if (whole || zero_rest) f->uptodate = true;
        if (!f->uptodate) {
            if (f->valid_len == 0) {
                f->valid_off = off;
                f->valid_len = n;
            } else {
                const uint32_t b = std::min(f->valid_off, off);
                const uint32_t e = std::max(f->valid_off + f->valid_len, off + n);
                f->valid_off = b;
                f->valid_len = e - b;
            }
            if (f->valid_off == 0 && f->valid_len == f->size) f->uptodate = true;
        }
        if (f->uptodate) f->valid_off = f->valid_len = 0;
        clear_copy_mark_locked(f.get());  // written now: the servers get it, not only the cache
        if (!f->dirty) {
            f->dirty = true;
            dirty_bytes_ += f->size;
            lru_remove_locked(f.get());
        }
        const uint64_t end = at + n;
        if (end > size_) {
            blocks_ += blocks_of(end) - blocks_of(size_);
            size_ = end;
        }
        done += n;
        if (through && off + n == f->size) {
            // Write-through: the copy reached the folio's end, so send it now.
            f->dirty = false;
            dirty_bytes_ -= f->size;
            f->writeback = true;
            uint32_t eoff = f->uptodate ? 0 : f->valid_off;
            uint64_t elen = f->uptodate ? f->size : f->valid_len;
            elen = std::min<uint64_t>(elen, size_ - (f->pos + eoff));
            lock.unlock();
            if (!*through) *through = Engine::create_request(*this, Origin::write_through, f->pos);
            (*through)->file_size_ = size();
            Engine::write_folio(**through, f, eoff, static_cast<uint32_t>(elen));
        }
    }
    return done;
}

namespace {
File::Filler span_filler(uint64_t base, std::span<const std::byte> data) {
    return [base, data](uint64_t at, std::span<std::byte> dst) {
        std::memcpy(dst.data(), data.data() + (at - base), dst.size());
        return std::error_code{};
    };
}
}  // namespace

result<size_t> File::write(uint64_t pos, std::span<const std::byte> data) {
    return write_from(pos, data.size(), span_filler(pos, data));
}

result<size_t> File::write_through(uint64_t pos, std::span<const std::byte> data) {
    return write_through_from(pos, data.size(), span_filler(pos, data));
}

result<size_t> File::write_from(uint64_t pos, uint64_t len, const Filler& fill) {
    if (!options_.streams[0].backend) return fail(std::make_error_code(std::errc::read_only_file_system));
    // Throttle before copying: over the dirty limit while writeback keeps failing, the
    // writer gets the error and nothing is copied (the earlier data stays dirty and the
    // next flush reports the error too). So an error always means "nothing copied".
    if (std::error_code ec = throttle_dirty()) return fail(ec);
    auto r = copy_in(pos, len, fill, nullptr);
    if (dirty_bytes() > options_.dirty_background) ctx_.kick_flusher(this);
    return r;
}

result<size_t> File::write_through_from(uint64_t pos, uint64_t len, const Filler& fill) {
    if (!options_.streams[0].backend) return fail(std::make_error_code(std::errc::read_only_file_system));
    WriteRequest* req = nullptr;
    std::unique_lock wb(wb_mu_);  // no writeback runs beside a write-through
    auto r = copy_in(pos, len, fill, &req);
    if (req) Engine::end_issue(*req);
    wb.unlock();
    // The sends are waited for, but, as for write(2), the result says what was copied: a
    // failed send leaves its folios dirty and is reported by the next flush.
    if (req) (void)wait_request(req);
    return r;
}

std::error_code File::throttle_dirty() {
    while (dirty_bytes() > options_.dirty_limit) {
        ++ctx_.counters_.dirty_waits;
        {
            std::lock_guard lock(mu_);
            if (error_) return error_;  // writeback is failing: waiting would never end
        }
        if (WriteRequest* req = writeback(Pass::background, 0, UINT64_MAX)) {
            Engine::put(req);  // not waited for: writeback throttles on bytes in flight
        } else {
            std::unique_lock lock(mu_);
            ++waiters_;
            cv_.wait_for(lock, std::chrono::milliseconds(20), [&] { return dirty_bytes_ <= options_.dirty_limit; });
            --waiters_;
        }
    }
    return {};
}

WriteRequest* File::writeback(Pass pass, uint64_t start, uint64_t end) {
    if (!wb_mu_.try_lock()) {
        if (pass == Pass::background) {
            ++ctx_.counters_.wb_lock_skips;
            return nullptr;
        }
        ++ctx_.counters_.wb_lock_waits;
        wb_mu_.lock();
    }
    std::unique_lock wb(wb_mu_, std::adopt_lock);
    WriteRequest* req = nullptr;
    const uint64_t budget = pass == Pass::background ? options_.writeback_budget : UINT64_MAX;
    uint64_t sent = 0;
    uint64_t cursor = start;
    bool wrapped = pass != Pass::background;
    if (pass == Pass::background && wb_cursor_ > start && wb_cursor_ < end) cursor = wb_cursor_;
    else wrapped = true;
    for (;;) {
        std::unique_lock lock(mu_);
        // The next dirty folio at or after the cursor, in ascending order.
        auto it = folios_.upper_bound(cursor);
        if (it != folios_.begin() && std::prev(it)->second->end() > cursor) --it;
        while (it != folios_.end() && it->second->pos < end && !it->second->dirty) ++it;
        if (it == folios_.end() || it->second->pos >= end) {
            if (!wrapped) {
                // Background passes resume where the last stopped, then wrap to the start.
                // A request carries data in ascending order only, so the wrap starts a
                // new one.
                wrapped = true;
                cursor = start;
                lock.unlock();
                if (req) {
                    Engine::end_issue(*req);
                    Engine::put(req);
                    req = nullptr;
                }
                continue;
            }
            break;
        }
        FolioRef f = it->second;
        f->dirty = false;
        dirty_bytes_ -= f->size;
        cursor = f->end();
        uint64_t eoff = f->uptodate ? 0 : f->valid_off;
        uint64_t elen = f->uptodate ? f->size : f->valid_len;
        if (f->pos + eoff >= size_) {
            // Beyond EOF (the file was truncated under it): nothing to send.
            f->valid_len = 0;
            lru_add_locked(f.get());
            continue;
        }
        elen = std::min(elen, size_ - (f->pos + eoff));
        f->writeback = true;
        notify_locked();  // writers waiting on the dirty limit
        lock.unlock();
        if (!req) req = Engine::create_request(*this, Origin::writeback, f->pos + eoff);
        Engine::write_folio(*req, f, static_cast<uint32_t>(eoff), static_cast<uint32_t>(elen));
        sent += elen;
        if (sent >= budget) break;
    }
    if (pass == Pass::background) wb_cursor_ = cursor;
    if (req) Engine::end_issue(*req);
    return req;
}

void File::writeback_background() {
    if (WriteRequest* req = writeback(Pass::background, 0, UINT64_MAX)) Engine::put(req);
}

std::error_code File::wait_request(WriteRequest* req) {
    std::error_code ec;
    {
        std::unique_lock lock(req->mu_);
        Engine::wait(*req, lock, [&] { return req->done_; });
        ec = req->error_;
    }
    Engine::put(req);
    return ec;
}

void File::end_folio_writeback(const FolioRef& f, uint64_t data_end, bool redirty) {
    {
        std::lock_guard lock(mu_);
        f->writeback = false;
        if (redirty) {
            if (!f->dirty) {
                f->dirty = true;
                dirty_bytes_ += f->size;
            }
        } else {
            if (data_end > zero_point_) zero_point_ = data_end;  // the server holds data up to here now
            clear_copy_mark_locked(f.get());
            auto it = folios_.find(f->pos);
            if (it != folios_.end() && it->second == f) lru_add_locked(f.get());
        }
        notify_locked();
    }
}

void File::request_done(WriteRequest& req) {
    std::lock_guard lock(mu_);
    if (req.error_ && !error_ && req.origin_ != Origin::unbuffered_write) error_ = req.error_;
    --io_count_;
    // Notify under the lock: once io_count_ reaches zero the file may be destroyed as soon
    // as the lock is released, condition variable included.
    notify_locked();
}

std::error_code File::flush() {
    std::error_code ec;
    if (WriteRequest* req = writeback(Pass::sync, 0, UINT64_MAX)) ec = wait_request(req);
    std::unique_lock lock(mu_);
    wait_locked(lock, [&] { return io_count_ == 0; });
    std::error_code first = error_ ? error_ : ec;
    error_ = {};
    return first;
}

void File::drop_folios_locked(uint64_t start, uint64_t end) {
    auto it = folios_.upper_bound(start);
    if (it != folios_.begin() && std::prev(it)->second->end() > start) --it;
    while (it != folios_.end() && it->second->pos < end) {
        Folio* f = it->second.get();
        if (f->dirty || f->writeback) {
            ++it;
            continue;
        }
        lru_remove_locked(f);
        cached_bytes_ -= f->size;
        it = folios_.erase(it);
    }
}

std::error_code File::invalidate(uint64_t start, uint64_t end) {
    std::error_code ec;
    if (WriteRequest* req = writeback(Pass::sync, start, end)) ec = wait_request(req);
    std::unique_lock lock(mu_);
    // Writeback started by others (the flusher) may still hold folios of the range.
    auto busy = [&] {
        auto it = folios_.upper_bound(start);
        if (it != folios_.begin() && std::prev(it)->second->end() > start) --it;
        for (; it != folios_.end() && it->second->pos < end; ++it)
            if (it->second->writeback) return true;
        return false;
    };
    wait_locked(lock, [&] { return !busy(); });
    drop_folios_locked(start, end);
    if (!ec) {
        // Whatever is left in the range is dirty data that could not be written.
        auto it = folios_.upper_bound(start);
        if (it != folios_.begin() && std::prev(it)->second->end() > start) --it;
        for (; it != folios_.end() && it->second->pos < end; ++it)
            if (it->second->dirty) ec = error_ ? error_ : make_error_code(errc::retry);
    }
    return ec;
}

std::error_code File::truncate(uint64_t new_size) {
    // Through writeback first, as every invalidation: a failure is reported...
    std::error_code ec = invalidate(new_size, UINT64_MAX);
    std::unique_lock lock(mu_);
    // ...but whatever lies beyond the new size is no longer part of the file, written back
    // or not: a later extension must read zeros there, never the old dirty data.
    auto it = folios_.upper_bound(new_size);
    if (it != folios_.begin() && std::prev(it)->second->end() > new_size) --it;
    while (it != folios_.end()) {
        FolioRef f = it->second;
        if (f->writeback) {  // a writeback started meanwhile: its bytes are being sent
            wait_locked(lock, [&] { return !f->writeback; });
            it = folios_.lower_bound(f->pos);
            continue;
        }
        if (f->pos >= new_size) {
            if (f->dirty) dirty_bytes_ -= f->size;
            clear_copy_mark_locked(f.get());
            lru_remove_locked(f.get());
            cached_bytes_ -= f->size;
            it = folios_.erase(it);
            continue;
        }
        const uint32_t keep = static_cast<uint32_t>(new_size - f->pos);  // the folio straddles the new end
        std::memset(f->data.get() + keep, 0, f->size - keep);
        if (!f->uptodate && f->valid_len > 0) {
            const uint32_t vend = std::min(f->valid_off + f->valid_len, keep);
            f->valid_len = vend > f->valid_off ? vend - f->valid_off : 0;
        }
        ++it;
    }
    size_ = new_size;
    zero_point_ = std::min(zero_point_, new_size);
    blocks_ = std::min(blocks_, blocks_of(new_size));
    return ec;
}

void File::insert_clean(uint64_t pos, std::span<const std::byte> data, bool copy_to_cache) {
    size_t done = 0;
    std::unique_lock lock(mu_);
    // The server holds this data, so the file is at least this long and has data up to here.
    const uint64_t end = pos + data.size();
    if (end > size_) {
        blocks_ += blocks_of(end) - blocks_of(size_);
        size_ = end;
    }
    zero_point_ = std::max(zero_point_, end);
    while (done < data.size()) {
        const uint64_t at = pos + done;
        FolioRef f = folio_for_write(lock, at);
        const uint32_t off = static_cast<uint32_t>(at - f->pos);
        const uint32_t n = static_cast<uint32_t>(std::min<uint64_t>(f->size - off, data.size() - done));
        done += n;
        if (f->dirty || f->writeback) continue;  // local changes win over what the server had
        std::memcpy(f->data.get() + off, data.data() + (done - n), n);
        const bool reaches_eof = at + n >= size_;
        if ((off == 0 && n == f->size) || (off == 0 && reaches_eof)) {
            if (n < f->size) std::memset(f->data.get() + n, 0, f->size - n);
            f->uptodate = true;
            f->valid_off = f->valid_len = 0;
        } else if (!f->uptodate) {
            f->valid_off = off;
            f->valid_len = n;
        }
        if (copy_to_cache && f->uptodate) {
            f->copy_to_cache = true;
            f->dirty = true;
            dirty_bytes_ += f->size;
            copy_backlog_ += f->size;
            lru_remove_locked(f.get());
        } else {
            lru_add_locked(f.get());
        }
    }
}

size_t File::read_cached(uint64_t pos, std::span<std::byte> out) const {
    std::lock_guard lock(mu_);
    size_t done = 0;
    while (done < out.size() && pos + done < size_) {
        const uint64_t at = pos + done;
        auto next = folios_.upper_bound(at);
        if (next == folios_.begin()) break;
        const Folio& f = *std::prev(next)->second;
        if (at >= f.end()) break;
        const uint64_t off = at - f.pos;
        uint64_t vbeg = 0, vend = f.size;
        if (!f.uptodate) {
            vbeg = f.valid_off;
            vend = f.valid_off + f.valid_len;
        }
        if (off < vbeg || off >= vend) break;
        const size_t n = static_cast<size_t>(std::min<uint64_t>({vend - off, out.size() - done, size_ - at}));
        std::memcpy(out.data() + done, f.data.get() + off, n);
        done += n;
    }
    return done;
}

}  // namespace netfs
