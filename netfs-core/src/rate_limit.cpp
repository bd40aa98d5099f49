#include "netfs/rate_limit.hpp"

#include <algorithm>
#include <vector>

namespace netfs {

namespace {
constexpr auto poll_interval = std::chrono::milliseconds(50);
}

RateLimiter::RateLimiter(uint64_t bytes_per_second, std::chrono::milliseconds burst, std::function<bool()> cancelled)
    : rate_(std::max<uint64_t>(bytes_per_second, 1)), burst_(burst), cancelled_by_(std::move(cancelled)),
      next_(Clock::now()) {}

bool RateLimiter::cancelled_locked() {
    if (!cancelled_ && cancelled_by_ && cancelled_by_()) cancelled_ = true;
    return cancelled_;
}

RateLimiter::~RateLimiter() {
    {
        std::lock_guard lock(mu_);
        stopping_ = true;
    }
    cv_.notify_all();
    if (thread_.joinable()) thread_.join();
    // Nothing should be left; if something is, it must still run (a reader waits for it).
    for (auto& [when, fn] : deferred_) fn();
}

RateLimiter::Clock::time_point RateLimiter::reserve_locked(uint64_t bytes) {
    const auto now = Clock::now();
    if (cancelled_locked()) return now;
    // Time nobody used is gone (the burst below is all the credit there is).
    next_ = std::max(next_, now);
    // bytes / rate seconds, in the clock's units, without overflow for any realistic size.
    const long double secs = static_cast<long double>(bytes) / static_cast<long double>(rate_);
    next_ += std::chrono::duration_cast<Clock::duration>(std::chrono::duration<long double>(secs));
    // The bytes go once their slot is (almost) over: whatever their size, what was sent by
    // any moment stays within the burst of rate x time, even with a few large requests.
    return next_ - burst_;
}

void RateLimiter::acquire(uint64_t bytes) {
    std::unique_lock lock(mu_);
    const auto start = reserve_locked(bytes);
    while (!cancelled_locked() && Clock::now() < start)
        cv_.wait_until(lock, std::min(start, Clock::now() + poll_interval));
}

void RateLimiter::defer(uint64_t bytes, std::function<void()> fn) {
    {
        std::lock_guard lock(mu_);
        const auto start = reserve_locked(bytes);
        if (start > Clock::now()) {
            deferred_.emplace(start, std::move(fn));
            if (!thread_.joinable()) thread_ = std::thread([this] { run_deferred(); });
            cv_.notify_all();
            return;
        }
    }
    fn();
}

void RateLimiter::cancel() {
    {
        std::lock_guard lock(mu_);
        cancelled_ = true;
    }
    cv_.notify_all();
}

void RateLimiter::run_deferred() {
    std::unique_lock lock(mu_);
    for (;;) {
        std::vector<std::function<void()>> due;
        const auto now = Clock::now();
        const bool cancelled = cancelled_locked();
        while (!deferred_.empty() && (cancelled || deferred_.begin()->first <= now)) {
            due.push_back(std::move(deferred_.begin()->second));
            deferred_.erase(deferred_.begin());
        }
        if (!due.empty()) {
            // Outside the lock: a read's issue may reserve again (a short answer's rest).
            lock.unlock();
            for (auto& fn : due) fn();
            lock.lock();
            continue;
        }
        if (stopping_) return;
        if (deferred_.empty()) cv_.wait(lock);
        else cv_.wait_until(lock, std::min(deferred_.begin()->first, Clock::now() + poll_interval));
    }
}

}  // namespace netfs
