// The threads that do the cache's disk writes, so that issue_write returns at once and
// the netfs issuer never waits for the disk. Started on first use (a Cache that is only
// listed or cleared starts none); jobs run in any order.
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace netfs::cache {

class WorkerPool {
public:
    explicit WorkerPool(unsigned threads) : nr_threads_(threads ? threads : 1) {}
    ~WorkerPool();  // runs what is queued, then joins
    WorkerPool(const WorkerPool&) = delete;
    WorkerPool& operator=(const WorkerPool&) = delete;

    void post(std::function<void()> job);

private:
    void run();
    const unsigned nr_threads_;
    std::mutex mu_;
    std::condition_variable cv_;
    std::deque<std::function<void()>> jobs_;
    bool stop_ = false;
    std::vector<std::thread> threads_;
};

}  // namespace netfs::cache
