#include "object.hpp"

#include <unistd.h>

#include <array>

#include "posix_io.hpp"
#include "store.hpp"

namespace netfs::cache {

ObjectImpl::ObjectImpl(std::shared_ptr<Store> store, Key key, EntryPaths paths, EntryLock lock,
                       Coherency coherency, ExtentMap extents, bool marked)
    : store_(std::move(store)),
      key_(std::move(key)),
      paths_(std::move(paths)),
      lock_(std::move(lock)),
      extents_(std::move(extents)),
      coherency_(coherency),
      last_used_ns_(now_ns()),
      marked_(marked) {}

ObjectImpl::~ObjectImpl() {
    wait_idle();
    bool empty;
    {
        std::lock_guard lock(mu_);
        empty = extents_.empty();
    }
    // An entry holding nothing is not worth a record: remove it while we still hold its
    // lock. If a crash loses the unlink, a marked record comes back and is discarded.
    bool removed = false;
    if (empty) {
        std::unique_lock disk(disk_mu_);
        removed = ::unlink(paths_.meta.c_str()) == 0 || errno == ENOENT;
        if (removed) ::unlink(paths_.data.c_str());
    }
    bool need_commit;
    {
        std::lock_guard lock(mu_);
        need_commit = !removed && (!committed_ || dirty_ || marked_);
    }
    // A failed commit leaves the record marked: the next open discards the entry.
    if (need_commit) (void)commit();
    Store::Live last;
    {
        std::lock_guard lock(mu_);
        last = {key_, coherency_, extents_.bytes(), last_used_ns_};
    }
    store_->unregister_live(paths_.hash, removed, last);
}

std::error_code ObjectImpl::prepare_write(Subrequest&, Limits& limits) {
    limits.max_len = store_->options().max_write;
    limits.max_segs = max_segments;
    return {};
}

void ObjectImpl::issue_write(Subrequest& sreq) {
    std::error_code ec;
    {
        std::lock_guard lock(mu_);
        if (!usable_) ec = failure_code_;
        else ++in_flight_;
    }
    // A failed cache is not the user's failure: `fail` keeps netfs from retrying, and the
    // cache stream's failure never fails the transfer.
    if (ec) return sreq.terminate(ec, RetryHint::fail);
    store_->pool().post([this, s = &sreq] { write_job(*s); });
}

void ObjectImpl::write_job(Subrequest& sreq) {
    const uint64_t pos = sreq.position(), len = sreq.remaining();
    std::error_code ec;
    uint64_t written = 0;
    {
        std::shared_lock disk(disk_mu_);
        uint64_t reserved = 0, generation = 0;
        ec = ensure_marked();
        if (ec) {
            std::lock_guard lock(mu_);
            fail_locked("cache write failed: " + ec.message() + " (" + paths_.meta + ")", ec);
        } else {
            ec = reserve(pos, len, reserved, generation);
        }
        if (!ec) {
            std::array<std::span<const std::byte>, max_segments> pieces;
            std::array<iovec, max_segments> iov;
            const size_t n = sreq.gather(pieces);
            for (size_t i = 0; i < n; ++i) iov[i] = {const_cast<std::byte*>(pieces[i].data()), pieces[i].size()};
            ec = io::pwritev_full(lock_.fd(), std::span(iov.data(), n), pos, written);
            std::lock_guard lock(mu_);
            reserved_ -= reserved;
            if (ec) {
                fail_locked("cache write failed: " + ec.message() + " (" + paths_.data + ")", ec);
            } else if (usable_ && generation == generation_) {
                // Present only now that the bytes are in the file (not yet on the disk:
                // commit syncs before it records them).
                extents_.add(pos, written);
                dirty_ = true;
            }
            store_->set_live(paths_.hash, extents_.bytes() + reserved_);
        }
    }
    if (ec) {
        sreq.terminate(ec, RetryHint::fail);
    } else {
        written_ += written;
        sreq.terminate(written);
    }
    std::lock_guard lock(mu_);
    --in_flight_;
    idle_cv_.notify_all();  // under the lock: the destructor may be waiting to free it
}

std::error_code ObjectImpl::reserve(uint64_t pos, uint64_t len, uint64_t& reserved, uint64_t& generation) {
    const uint64_t limit = store_->options().size_limit;
    // One file larger than the whole cache: caching it would only cull everything else
    // and fail anyway, so stop caching it. Checked again after culling, which other
    // writes of this object may have overtaken.
    auto too_large = [&] {
        if (!limit || extents_.bytes() + reserved_ + reserved <= limit) return false;
        fail_locked("larger than the cache size limit (" + std::to_string(limit) + " bytes)",
                    std::make_error_code(std::errc::file_too_large));
        return true;
    };
    {
        std::lock_guard lock(mu_);
        if (!usable_) return failure_code_;
        generation = generation_;
        reserved = extents_.missing(pos, len);
        if (too_large()) return failure_code_;
    }
    // Culling does disk I/O: not under mu_, which readers take.
    const bool room = reserved == 0 || store_->make_room(reserved);
    std::lock_guard lock(mu_);
    if (!usable_) return failure_code_;
    if (too_large()) return failure_code_;
    if (!room) {
        fail_locked("the cache is full: its size limit (" + std::to_string(limit) + " bytes) is taken by entries in use",
                    std::make_error_code(std::errc::no_space_on_device));
        return failure_code_;
    }
    reserved_ += reserved;
    store_->set_live(paths_.hash, extents_.bytes() + reserved_);
    return {};
}

std::error_code ObjectImpl::ensure_marked() {
    std::lock_guard mark(mark_mu_);
    Record rec;
    {
        std::lock_guard lock(mu_);
        if (marked_ || !usable_) return {};
        rec = record_locked(true);
    }
    if (auto ec = io::replace_file(paths_.meta, paths_.temp(), encode(rec), /*durable=*/true)) return ec;
    std::lock_guard lock(mu_);
    marked_ = true;
    return {};
}

void ObjectImpl::fail_locked(std::string why, std::error_code ec) {
    if (!usable_) return;  // the first cause is the one worth reporting
    usable_.store(false, std::memory_order_release);
    failure_ = std::move(why);
    failure_code_ = ec;
    extents_.clear();
    ++generation_;
    dirty_ = true;
    // Free the space now (the failure may be ENOSPC). Only under a durable mark: the old
    // record may still describe these bytes.
    if (marked_) (void)::ftruncate(lock_.fd(), 0);
    store_->set_live(paths_.hash, reserved_);
}

Record ObjectImpl::record_locked(bool in_use) const {
    return Record{key_, coherency_, extents_.to_vector(), last_used_ns_, in_use};
}

void ObjectImpl::invalidate_cache(WriteRequest&, uint8_t) { invalidate(); }

void ObjectImpl::invalidate() {
    std::unique_lock disk(disk_mu_);
    // The mark first: the record may describe the bytes the truncation removes. If it
    // cannot be written, fail_locked leaves the file alone and the record says nothing.
    const std::error_code ec = ensure_marked();
    std::lock_guard lock(mu_);
    if (usable_) {
        fail_locked(ec ? "invalidated; the cache record could not be updated: " + ec.message() + " (" +
                             paths_.meta + ")"
                       : "invalidated",
                    make_error_code(std::errc::operation_canceled));
    } else if (marked_) {
        (void)::ftruncate(lock_.fd(), 0);
    }
}

Coherency ObjectImpl::coherency() const {
    std::lock_guard lock(mu_);
    return coherency_;
}

void ObjectImpl::set_coherency(const Coherency& c) {
    std::lock_guard lock(mu_);
    coherency_ = c;
    dirty_ = true;
    store_->set_live_coherency(paths_.hash, c);
}

std::optional<Extent> ObjectImpl::next_present(uint64_t pos) const {
    std::lock_guard lock(mu_);
    if (!usable_) return std::nullopt;
    return extents_.next_present(pos);
}

std::error_code ObjectImpl::read(uint64_t pos, std::span<std::byte> dst) {
    if (dst.empty()) return {};
    uint64_t generation;
    {
        std::lock_guard lock(mu_);
        if (!usable_) return failure_code_;
        if (!extents_.covers(pos, dst.size())) return std::make_error_code(std::errc::no_message_available);
        generation = generation_;
    }
    // Straight into the caller's buffer, outside the lock.
    auto n = io::pread_full(lock_.fd(), dst, pos);
    if (!n) return n.error();
    if (*n < dst.size()) return std::make_error_code(std::errc::io_error);  // the file is shorter than its record
    {
        std::lock_guard lock(mu_);
        if (generation != generation_) return std::make_error_code(std::errc::operation_canceled);
    }
    read_ += dst.size();
    return {};
}

std::string ObjectImpl::failure() const {
    std::lock_guard lock(mu_);
    return failure_;
}

void ObjectImpl::wait_idle() {
    std::unique_lock lock(mu_);
    idle_cv_.wait(lock, [&] { return in_flight_ == 0; });
}

std::error_code ObjectImpl::commit() {
    wait_idle();
    std::unique_lock disk(disk_mu_);
    std::lock_guard mark(mark_mu_);
    bool marked, ok;
    Record rec;
    {
        std::lock_guard lock(mu_);
        last_used_ns_ = now_ns();
        marked = marked_;
        ok = usable_;
        rec = record_locked(false);
    }
    if (marked) {
        // After a failure or invalidation, writes that were already under way may have
        // landed after the first truncation.
        if (!ok && ::ftruncate(lock_.fd(), 0) < 0) return io::errno_code();
        if (::fdatasync(lock_.fd()) < 0) return io::errno_code();
    }
    // Unmarked, the file was not modified: the record only moves last_used, and losing it
    // in a crash loses nothing.
    if (auto ec = io::replace_file(paths_.meta, paths_.temp(), encode(rec), /*durable=*/marked)) return ec;
    std::lock_guard lock(mu_);
    marked_ = false;
    dirty_ = false;
    committed_ = true;
    return {};
}

}  // namespace netfs::cache
