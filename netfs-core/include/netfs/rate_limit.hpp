// A limit on the bytes per second the engine sends to and reads from servers (netcp
// --bwlimit). The issuer asks it before each upload or mirror subrequest goes out, and
// the read path before each server read; the cache stream is local and never limited.
//
// Each request reserves the next slot of rate time (bytes / rate) and may start when all
// but `burst` of its slot has passed, so by any moment the bytes sent are at most rate x
// (time + burst), however large the requests. Up to `burst` of unused time is kept after
// an idle spell, no more, so a pause does not turn into a flood.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <thread>

namespace netfs {

class RateLimiter {
public:
    using Clock = std::chrono::steady_clock;

    // `bytes_per_second` must be positive. Once `cancelled` (polled every 50 ms while
    // anything waits) returns true, the limiter behaves as after cancel().
    explicit RateLimiter(uint64_t bytes_per_second, std::chrono::milliseconds burst = std::chrono::milliseconds(100),
                         std::function<bool()> cancelled = {});
    // Runs whatever is still deferred (nothing is, once every File is gone) and stops the
    // limiter's thread.
    ~RateLimiter();
    RateLimiter(const RateLimiter&) = delete;
    RateLimiter& operator=(const RateLimiter&) = delete;

    uint64_t rate() const { return rate_; }

    // Blocks the caller until `bytes` may go, or until the limiter is cancelled: a
    // transfer being torn down is not held back.
    void acquire(uint64_t bytes);
    // Runs `fn` once `bytes` may go: at once in the caller's thread if they may go now,
    // else later on the limiter's own thread (for asynchronous reads, which must never
    // block the thread that issues them).
    void defer(uint64_t bytes, std::function<void()> fn);
    // Releases every waiter and runs every deferred function now; later calls are not
    // limited. For shutdown (an interrupted copy).
    void cancel();

private:
    // The time at which `bytes` may start, reserving their slot.
    Clock::time_point reserve_locked(uint64_t bytes);
    void run_deferred();
    bool cancelled_locked();

    const uint64_t rate_;
    const Clock::duration burst_;
    const std::function<bool()> cancelled_by_;
    std::mutex mu_;
    std::condition_variable cv_;
    Clock::time_point next_;  // where the next reservation starts
    bool cancelled_ = false;
    bool stopping_ = false;
    std::multimap<Clock::time_point, std::function<void()>> deferred_;
    std::thread thread_;  // started by the first defer that has to wait
};

}  // namespace netfs
