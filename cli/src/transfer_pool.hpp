// --transfers N: files copied in parallel, each worker over a connection of its own.
//
// The thread that walks the sources (stat, list, mkdir on its own connection) hands each
// file to the pool. Workers start only as work piles up (a single file never opens a
// second connection); when the queue is full the walking thread copies a file itself on
// its own connection, so memory stays bounded and a run of one transfer is exactly the
// serial copy. Everything a job touches besides its own connection (the reporter, the
// progress display, the engine) is shared and thread-safe.
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <tl/expected.hpp>

#include "remote.hpp"

namespace netcp {

class TransferPool {
public:
    struct Job {
        std::function<void(Remote&)> run;
        std::string what;  // the file, for a message when no connection could be made for it
    };
    // Opens a worker's connection; a failure fails the job that needed it (and the worker
    // tries again for its next one).
    using Connect = std::function<tl::expected<std::unique_ptr<Remote>, Failure>()>;
    // `on_connect_failure` reports a job that could not run for want of a connection (its
    // failure names the job's file).
    TransferPool(unsigned transfers, Remote& own, Connect connect, std::function<void(const Failure&)> on_connect_failure);
    // Waits for every job (drain()).
    ~TransferPool();
    TransferPool(const TransferPool&) = delete;
    TransferPool& operator=(const TransferPool&) = delete;

    // Queues `job`; with the queue full, runs one queued job (or this one) in the calling
    // thread on `own` first. With one transfer, runs it at once.
    void submit(Job job);
    // Runs what is queued (the calling thread helps) and waits for the workers' jobs.
    void drain();
    // Drops the jobs not started yet (an interrupted copy); running ones finish.
    void cancel_pending();

    // The workers' connections, for --stats.
    std::vector<const Remote*> worker_remotes() const;

private:
    void worker_loop(size_t index);
    bool take_locked(Job& job);

    const unsigned transfers_;
    Remote& own_;
    const Connect connect_;
    const std::function<void(const Failure&)> on_connect_failure_;
    mutable std::mutex mu_;
    std::condition_variable work_cv_, idle_cv_;
    std::deque<Job> queue_;
    size_t running_ = 0;  // jobs being run by workers
    size_t idle_workers_ = 0;
    bool stop_ = false;
    std::vector<std::unique_ptr<Remote>> remotes_;  // one per worker, made by the worker
    std::vector<std::thread> workers_;
};

// Sums the counters of several --stats texts ("name: key=NUMBER ..." lines): lines whose
// text before the first '=' field is the same are one line, their numbers added.
std::string merge_stats_texts(const std::vector<std::string>& texts);

}  // namespace netcp
