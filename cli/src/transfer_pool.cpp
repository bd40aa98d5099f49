#include "transfer_pool.hpp"

#include <algorithm>
#include <cctype>
#include <map>
#include <sstream>

namespace netcp {

namespace {
// Jobs queued per transfer before the walking thread copies one itself.
constexpr size_t queue_per_transfer = 2;
}  // namespace

TransferPool::TransferPool(unsigned transfers, Remote& own, Connect connect,
                           std::function<void(const Failure&)> on_connect_failure)
    : transfers_(std::max(transfers, 1u)), own_(own), connect_(std::move(connect)),
      on_connect_failure_(std::move(on_connect_failure)) {
    remotes_.resize(transfers_);
}

TransferPool::~TransferPool() {
    drain();
    {
        std::lock_guard lock(mu_);
        stop_ = true;
    }
    work_cv_.notify_all();
    for (auto& t : workers_) t.join();
}

bool TransferPool::take_locked(Job& job) {
    if (queue_.empty()) return false;
    job = std::move(queue_.front());
    queue_.pop_front();
    return true;
}

void TransferPool::submit(Job job) {
    if (transfers_ == 1) return job.run(own_);
    Job mine;
    {
        std::lock_guard lock(mu_);
        queue_.push_back(std::move(job));
        // Another worker only when one is wanted: work waits and no worker is free.
        if (queue_.size() >= 2 && queue_.size() > idle_workers_ && workers_.size() + 1 < transfers_) {
            const size_t index = workers_.size();
            workers_.emplace_back([this, index] { worker_loop(index); });
        } else {
            work_cv_.notify_one();
        }
        if (queue_.size() <= queue_per_transfer * transfers_ || !take_locked(mine)) return;
    }
    mine.run(own_);  // the queue is full: the walking thread copies one itself
}

void TransferPool::drain() {
    for (;;) {
        Job job;
        {
            std::unique_lock lock(mu_);
            if (!take_locked(job)) {
                idle_cv_.wait(lock, [&] { return queue_.empty() && running_ == 0; });
                if (queue_.empty()) return;
                continue;
            }
        }
        job.run(own_);
    }
}

void TransferPool::cancel_pending() {
    std::lock_guard lock(mu_);
    queue_.clear();
    idle_cv_.notify_all();
}

void TransferPool::worker_loop(size_t index) {
    std::unique_lock lock(mu_);
    for (;;) {
        Job job;
        ++idle_workers_;
        work_cv_.wait(lock, [&] { return stop_ || !queue_.empty(); });
        --idle_workers_;
        if (!take_locked(job)) {
            if (stop_) return;
            continue;
        }
        ++running_;
        lock.unlock();
        if (!remotes_[index]) {
            auto r = connect_();
            if (r) remotes_[index] = std::move(*r);
            else {
                Failure f = r.error();
                f.message = "cannot copy " + job.what + ": " + f.message;
                on_connect_failure_(f);
            }
        }
        if (remotes_[index]) job.run(*remotes_[index]);
        lock.lock();
        --running_;
        idle_cv_.notify_all();
    }
}

std::vector<const Remote*> TransferPool::worker_remotes() const {
    std::lock_guard lock(mu_);
    std::vector<const Remote*> v;
    for (const auto& r : remotes_)
        if (r) v.push_back(r.get());
    return v;
}

std::string merge_stats_texts(const std::vector<std::string>& texts) {
    struct Line {
        std::string head;                                      // up to the first field
        std::vector<std::pair<std::string, std::string>> fields;  // key, value as printed
    };
    std::vector<Line> lines;
    std::map<std::string, size_t> index;
    for (const auto& text : texts) {
        std::istringstream in(text);
        for (std::string l; std::getline(in, l);) {
            // "afs key 1 (bob): stores=3 bytes=10": the head ends where the first key=value begins.
            size_t eq = l.find('=');
            size_t start = eq == std::string::npos ? l.size() : l.rfind(' ', eq);
            if (start == std::string::npos) start = 0;
            Line parsed{l.substr(0, start), {}};
            std::istringstream fields(l.substr(start));
            for (std::string f; fields >> f;) {
                const auto e = f.find('=');
                if (e == std::string::npos) parsed.fields.emplace_back(f, "");
                else parsed.fields.emplace_back(f.substr(0, e), f.substr(e + 1));
            }
            auto it = index.find(parsed.head);
            if (it == index.end()) {
                index.emplace(parsed.head, lines.size());
                lines.push_back(std::move(parsed));
                continue;
            }
            Line& into = lines[it->second];
            auto is_number = [](const std::string& v) {
                return !v.empty() && std::all_of(v.begin(), v.end(), [](char c) { return std::isdigit(static_cast<unsigned char>(c)); });
            };
            for (const auto& [k, v] : parsed.fields) {
                auto f = std::find_if(into.fields.begin(), into.fields.end(), [&](const auto& p) { return p.first == k; });
                if (f == into.fields.end()) into.fields.emplace_back(k, v);
                else if (is_number(f->second) && is_number(v))
                    f->second = std::to_string(std::stoull(f->second) + std::stoull(v));
            }
        }
    }
    std::string out;
    for (const auto& l : lines) {
        out += l.head;
        for (const auto& [k, v] : l.fields) out += " " + (v.empty() ? k : k + "=" + v);
        out += "\n";
    }
    return out;
}

}  // namespace netcp
