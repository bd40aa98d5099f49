// netfs::RateLimiter: requests never run ahead of the rate by more than the burst, deferred
// functions run in order once their slot comes, and cancel() lets everything go at once.
// The bounds checked are lower bounds on elapsed time (never faster than allowed), which a
// loaded machine cannot break; cancel's promptness has a generous ceiling.
#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <vector>

#include "netfs/rate_limit.hpp"

using Clock = std::chrono::steady_clock;

namespace {
double since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }
}  // namespace

TEST_CASE("rate limit: acquire holds the callers to the rate, whatever the request sizes") {
    // 1 MiB/s, 50 ms burst: 1.5 MiB in requests of 64 KiB, then one of 512 KiB.
    netfs::RateLimiter limit(1u << 20, std::chrono::milliseconds(50));
    const auto t0 = Clock::now();
    for (int i = 0; i < 16; ++i) limit.acquire(64u << 10);
    limit.acquire(512u << 10);
    // 1.5 MiB at 1 MiB/s is 1.5 s, less the burst.
    CHECK(since(t0) >= 1.5 - 0.05 - 0.01);
}

TEST_CASE("rate limit: two threads share one rate") {
    netfs::RateLimiter limit(2u << 20, std::chrono::milliseconds(50));
    const auto t0 = Clock::now();
    std::vector<std::thread> threads;
    for (int t = 0; t < 2; ++t)
        threads.emplace_back([&] {
            for (int i = 0; i < 8; ++i) limit.acquire(128u << 10);
        });
    for (auto& t : threads) t.join();
    // 2 MiB in all at 2 MiB/s.
    CHECK(since(t0) >= 1.0 - 0.05 - 0.01);
}

TEST_CASE("rate limit: deferred functions run in order, on time, and at once after cancel") {
    netfs::RateLimiter limit(1u << 20, std::chrono::milliseconds(20));
    std::mutex mu;
    std::condition_variable cv;
    std::vector<int> order;
    std::vector<double> at;
    const auto t0 = Clock::now();
    for (int i = 0; i < 5; ++i)
        limit.defer(100u << 10, [&, i] {
            std::lock_guard lock(mu);
            order.push_back(i);
            at.push_back(since(t0));
            cv.notify_all();
        });
    {
        std::unique_lock lock(mu);
        REQUIRE(cv.wait_for(lock, std::chrono::seconds(20), [&] { return order.size() == 5; }));
    }
    CHECK(order == std::vector<int>{0, 1, 2, 3, 4});
    // The fifth 100 KiB ends half a second in (less the burst).
    CHECK(at.back() >= 5 * (100.0 / 1024) - 0.02 - 0.01);

    // A reservation far ahead (10 MiB: ten seconds), then cancel: it runs now.
    std::atomic<bool> ran{false};
    limit.defer(10u << 20, [] {});
    limit.defer(1u << 20, [&] { ran = true; });
    const auto t1 = Clock::now();
    limit.cancel();
    while (!ran && since(t1) < 5) std::this_thread::sleep_for(std::chrono::milliseconds(5));
    CHECK(ran);
    CHECK(since(t1) < 5);
    // After cancel nothing waits.
    const auto t2 = Clock::now();
    limit.acquire(100u << 20);
    CHECK(since(t2) < 1);
}

TEST_CASE("rate limit: a cancellation predicate releases a waiting acquire") {
    std::atomic<bool> stop{false};
    netfs::RateLimiter limit(1u << 10, std::chrono::milliseconds(10), [&] { return stop.load(); });
    limit.acquire(1u << 10);  // the first second's worth
    std::thread t([&] {
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
        stop = true;
    });
    const auto t0 = Clock::now();
    limit.acquire(1u << 20);  // 1024 s at 1 KiB/s, unless stopped
    CHECK(since(t0) < 5);
    t.join();
}
