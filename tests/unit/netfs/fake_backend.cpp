#include "fake_backend.hpp"

#include <array>
#include <cstdio>
#include <cstdlib>

namespace testnetfs {

FakeBackend::FakeBackend(Options o) : opt_(o), max_len_(o.max_len), rng_(o.seed) {
    content_.resize(opt_.content_size);
    written_.resize(opt_.content_size);
    issues_.reserve(opt_.capacity);
    landings_.reserve(opt_.capacity);
    queue_.reserve(opt_.capacity);
    if (opt_.completion == Completion::threads)
        for (unsigned i = 0; i < opt_.workers; ++i) workers_.emplace_back([this] { worker(); });
}

FakeBackend::~FakeBackend() {
    {
        std::lock_guard lock(mu_);
        stop_ = true;
    }
    cv_.notify_all();
    for (auto& t : workers_) t.join();
}

std::error_code FakeBackend::begin_request(netfs::WriteRequest&, uint8_t) { return begin_error; }

std::error_code FakeBackend::prepare_write(netfs::Subrequest& sreq, netfs::Limits& limits) {
    std::lock_guard lock(mu_);
    limits.max_len = max_len_;
    limits.max_segs = opt_.max_segs;
    if (opt_.boundary_every) limits.boundary = (sreq.start() / opt_.boundary_every + 1) * opt_.boundary_every;
    return {};
}

void FakeBackend::issue_write(netfs::Subrequest& sreq) {
    Task t{&sreq, {}};
    {
        std::lock_guard lock(mu_);
        if (issues_.size() < issues_.capacity())
            issues_.push_back({sreq.request().id(), sreq.index(), sreq.start(), sreq.length(), sreq.retry_count(),
                               sreq.stream()});
        const uint64_t n = nth_++;
        if (fault) t.fault = fault(sreq, n);
        if (opt_.completion != Completion::inline_) {
            queue_.push_back(t);
            cv_.notify_all();
            return;
        }
    }
    run(t);
}

void FakeBackend::run(Task t) {
    netfs::Subrequest& sreq = *t.sreq;
    if (t.fault.kind == Fault::error) {
        sreq.terminate(t.fault.ec, t.fault.hint);
        return;
    }
    uint64_t want = sreq.remaining();
    if (t.fault.kind == Fault::short_write) want = std::min(want, t.fault.bytes);
    if (t.fault.kind == Fault::zero_write) want = 0;
    std::array<std::span<const std::byte>, netfs::max_segments> pieces;
    const size_t n = sreq.gather(pieces, sreq.position(), want);
    {
        uint64_t total = 0;
        for (size_t k = 0; k < n; ++k) total += pieces[k].size();
        if (total != want) {
            // The engine must always be able to hand over an issued subrequest's data.
            std::fprintf(stderr, "fake backend: gather gave %llu of %llu bytes at %llu (req %llu sreq %llu retry %u)\n",
                         (unsigned long long)total, (unsigned long long)want, (unsigned long long)sreq.position(),
                         (unsigned long long)sreq.request().id(), (unsigned long long)sreq.index(), sreq.retry_count());
            std::abort();
        }
    }
    uint64_t pos = sreq.position(), got = 0;
    {
        std::lock_guard lock(mu_);
        if (landings_.size() < landings_.capacity())
            landings_.push_back({sreq.request().id(), sreq.index(), sreq.position(), want, sreq.retry_count(),
                                 sreq.stream()});
        for (size_t k = 0; k < n; ++k) {
            if (pos + pieces[k].size() <= content_.size()) {
                std::memcpy(content_.data() + pos, pieces[k].data(), pieces[k].size());
                std::memset(written_.data() + pos, 1, pieces[k].size());
            }
            pos += pieces[k].size();
            got += pieces[k].size();
        }
    }
    sreq.terminate(got);
}

void FakeBackend::worker() {
    std::unique_lock lock(mu_);
    for (;;) {
        cv_.wait(lock, [&] { return stop_ || !queue_.empty(); });
        if (queue_.empty()) return;
        // Out of order on purpose.
        const size_t i = static_cast<size_t>(rng_() % queue_.size());
        Task t = queue_[i];
        queue_[i] = queue_.back();
        queue_.pop_back();
        lock.unlock();
        run(t);
        lock.lock();
    }
}

bool FakeBackend::complete_one(size_t which) {
    Task t;
    {
        std::lock_guard lock(mu_);
        if (queue_.empty()) return false;
        which %= queue_.size();
        t = queue_[which];
        queue_.erase(queue_.begin() + static_cast<ptrdiff_t>(which));
    }
    run(t);
    return true;
}

size_t FakeBackend::pending() const {
    std::lock_guard lock(mu_);
    return queue_.size();
}

bool FakeBackend::wait_pending(size_t n, std::chrono::milliseconds timeout) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, timeout, [&] { return queue_.size() >= n; });
}

netfs::RetryDecision FakeBackend::retry_request(netfs::WriteRequest&, uint8_t, std::error_code) {
    std::lock_guard lock(mu_);
    ++retry_requests_;
    if (opt_.shrink_on_retry > 1) max_len_ = std::max<uint64_t>(max_len_ / opt_.shrink_on_retry, 1024);
    return refuse_retry ? netfs::RetryDecision::fail : netfs::RetryDecision::retry;
}

void FakeBackend::end_request(netfs::WriteRequest&, uint8_t, std::error_code) {}

void FakeBackend::invalidate_cache(netfs::WriteRequest&, uint8_t) {
    std::lock_guard lock(mu_);
    ++invalidations_;
}

void FakeBackend::truncate(uint64_t size) {
    std::lock_guard lock(mu_);
    if (size < content_.size()) std::fill(content_.begin() + static_cast<ptrdiff_t>(size), content_.end(), std::byte{0});
}

std::vector<std::byte> FakeBackend::content() const {
    std::lock_guard lock(mu_);
    return content_;
}
std::vector<uint8_t> FakeBackend::written_mask() const {
    std::lock_guard lock(mu_);
    return written_;
}
std::vector<IssueRecord> FakeBackend::issues() const {
    std::lock_guard lock(mu_);
    return issues_;
}
std::vector<IssueRecord> FakeBackend::landings() const {
    std::lock_guard lock(mu_);
    return landings_;
}

uint64_t FakeBackend::current_max_len() const {
    std::lock_guard lock(mu_);
    return max_len_;
}

}  // namespace testnetfs
