#include "worker_pool.hpp"

namespace netfs::cache {

WorkerPool::~WorkerPool() {
    {
        std::lock_guard lock(mu_);
        stop_ = true;
    }
    cv_.notify_all();
    for (auto& t : threads_) t.join();
}

void WorkerPool::post(std::function<void()> job) {
    {
        std::lock_guard lock(mu_);
        jobs_.push_back(std::move(job));
        if (threads_.size() < nr_threads_) threads_.emplace_back([this] { run(); });
    }
    cv_.notify_one();
}

void WorkerPool::run() {
    std::unique_lock lock(mu_);
    for (;;) {
        cv_.wait(lock, [&] { return stop_ || !jobs_.empty(); });
        if (jobs_.empty()) return;
        auto job = std::move(jobs_.front());
        jobs_.pop_front();
        lock.unlock();
        job();
        job = nullptr;  // destroy captures outside the lock
        lock.lock();
    }
}

}  // namespace netfs::cache
