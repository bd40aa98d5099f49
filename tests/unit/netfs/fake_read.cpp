#include "fake_read.hpp"

#include <algorithm>
#include <array>
#include <cstring>

namespace testnetfs {

FakeReader::FakeReader(std::vector<std::byte> c, uint64_t max_read, bool threaded)
    : content(std::move(c)), max_read_(max_read) {
    if (threaded) worker_ = std::thread([this] {
        std::unique_lock lock(mu_);
        for (;;) {
            cv_.wait(lock, [&] { return stop_ || !jobs_.empty(); });
            if (jobs_.empty()) return;
            Job j = std::move(jobs_.back());  // last first: out of order
            jobs_.pop_back();
            lock.unlock();
            serve(std::move(j));
            lock.lock();
        }
    });
}

FakeReader::~FakeReader() {
    {
        std::lock_guard lock(mu_);
        stop_ = true;
    }
    cv_.notify_all();
    if (worker_.joinable()) worker_.join();
}

void FakeReader::read(uint64_t pos, std::span<std::byte> dst, std::function<void(std::error_code, size_t)> done) {
    ++reads;
    if (!worker_.joinable()) return serve({pos, dst, std::move(done)});
    {
        std::lock_guard lock(mu_);
        jobs_.push_back({pos, dst, std::move(done)});
    }
    cv_.notify_one();
}

void FakeReader::serve(Job j) {
    if (fail_next.load() > 0) {
        --fail_next;
        return j.done(std::make_error_code(std::errc::io_error), 0);
    }
    const uint64_t end = std::min<uint64_t>(content.size(), end_at.load());
    size_t n = j.pos >= end ? 0 : std::min<size_t>(j.dst.size(), end - j.pos);
    if (const size_t most = short_max.load(); most > 0 && n > 0)
        n = std::min(n, 1 + static_cast<size_t>((j.pos * 2654435761u) % most));
    std::memcpy(j.dst.data(), content.data() + j.pos, n);
    bytes += n;
    j.done({}, n);
}

FakeCache::FakeCache(size_t size) : data(size) {
    worker_ = std::thread([this] {
        std::unique_lock lock(mu_);
        for (;;) {
            cv_.wait(lock, [&] { return stop_ || (!queue_.empty() && !hold); });
            if (stop_ && queue_.empty()) return;
            if (queue_.empty() || hold) continue;
            netfs::Subrequest* s = queue_.front();
            queue_.pop_front();
            lock.unlock();
            if (fail_writes) {
                usable_ = false;
                s->terminate(std::make_error_code(std::errc::no_space_on_device), netfs::RetryHint::fail);
            } else {
                std::array<std::span<const std::byte>, netfs::max_segments> pieces;
                const size_t n = s->gather(pieces);
                uint64_t pos = s->position(), total = 0;
                for (size_t i = 0; i < n; ++i) {
                    std::memcpy(data.data() + pos + total, pieces[i].data(), pieces[i].size());
                    total += pieces[i].size();
                }
                written_ += total;
                add_extent(pos, total);
                s->terminate(total);
            }
            lock.lock();
        }
    });
}

FakeCache::~FakeCache() {
    {
        std::lock_guard lock(mu_);
        stop_ = true;
        hold = false;
    }
    cv_.notify_all();
    worker_.join();
}

void FakeCache::release() {
    hold = false;
    cv_.notify_all();
}

std::error_code FakeCache::prepare_write(netfs::Subrequest&, netfs::Limits& limits) {
    limits.max_len = 1 << 20;
    return {};
}

void FakeCache::issue_write(netfs::Subrequest& sreq) {
    {
        std::lock_guard lock(mu_);
        queue_.push_back(&sreq);
    }
    cv_.notify_all();
}

void FakeCache::invalidate_cache(netfs::WriteRequest&, uint8_t) { invalidate(); }

void FakeCache::add_extent(uint64_t pos, uint64_t len) {
    std::lock_guard lock(mu_);
    uint64_t b = pos, e = pos + len;
    auto it = extents_.upper_bound(b);
    if (it != extents_.begin() && std::prev(it)->second >= b) --it;
    while (it != extents_.end() && it->first <= e) {
        b = std::min(b, it->first);
        e = std::max(e, it->second);
        it = extents_.erase(it);
    }
    extents_[b] = e;
}

std::optional<netfs::cache::Extent> FakeCache::next_present(uint64_t pos) const {
    std::lock_guard lock(mu_);
    auto it = extents_.upper_bound(pos);
    if (it != extents_.begin() && std::prev(it)->second > pos) --it;
    if (it == extents_.end()) return std::nullopt;
    return netfs::cache::Extent{it->first, it->second - it->first};
}

std::error_code FakeCache::read(uint64_t pos, std::span<std::byte> dst) {
    auto e = next_present(pos);
    if (!e || e->pos > pos || e->pos + e->len < pos + dst.size()) return std::make_error_code(std::errc::io_error);
    std::memcpy(dst.data(), data.data() + pos, dst.size());
    read_ += dst.size();
    return {};
}

void FakeCache::invalidate() {
    std::lock_guard lock(mu_);
    extents_.clear();
    usable_ = false;
}

}  // namespace testnetfs
