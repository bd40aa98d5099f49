// The context: the collector executor (worker threads over an intrusive queue, so
// scheduling a collection never allocates), the background flusher, and the folio buffer
// recycler.
#include "netfs/context.hpp"

#include <algorithm>
#include <cassert>
#include <map>

#include "engine.hpp"

namespace netfs {

// Free folio buffers by size, up to a byte budget. Buffers return here when the last
// folio (or request) holding them lets go, so it must outlive the context's files.
struct Context::Recycler {
    explicit Recycler(size_t budget_bytes) : budget(budget_bytes) {}
    std::mutex mu;
    std::map<uint32_t, std::vector<std::byte*>> free;
    size_t bytes = 0;
    const size_t budget;

    ~Recycler() {
        for (auto& [size, v] : free)
            for (std::byte* p : v) delete[] p;
    }
};

Context::Context(ContextOptions options)
    : options_(std::move(options)),
      requests_(options_.request_reserve, options_.allocator),
      subrequests_(options_.subrequest_reserve, options_.allocator),
      chunks_(options_.buffer_chunk_reserve, options_.allocator),
      recycler_(std::make_shared<Recycler>(options_.folio_recycle_bytes)) {
    const unsigned n = std::max(1u, options_.collector_threads);
    for (unsigned i = 0; i < n; ++i) collectors_.emplace_back([this] { collector_loop(); });
    flusher_ = std::thread([this] { flusher_loop(); });
}

Context::~Context() {
    // A backend thread may still be returning from the termination that completed the
    // last request (its final put); the pools must outlive that.
    requests_.wait_idle();
    {
        std::lock_guard lock(queue_mu_);
        collectors_stopping_ = true;
    }
    queue_cv_.notify_all();
    for (auto& t : collectors_) t.join();
    {
        std::lock_guard lock(flush_mu_);
        flusher_stopping_ = true;
    }
    flush_cv_.notify_all();
    flusher_.join();
}

void Context::set_trace(TraceSink sink) {
    trace_sink_ = std::move(sink);
    tracing_ = static_cast<bool>(trace_sink_);
}

void Context::trace(const TraceRecord& r) const {
    if (trace_sink_) trace_sink_(r);
}

void Context::schedule_collection(WriteRequest* req) {
    if (req->queued_.exchange(true)) return;  // already waiting for a collector
    Engine::get(req);
    {
        std::lock_guard lock(queue_mu_);
        req->queue_next_ = nullptr;
        if (queue_tail_) queue_tail_->queue_next_ = req;
        else queue_head_ = req;
        queue_tail_ = req;
        // Under the lock: the termination that queued this request may be the last thing
        // a flush waits for, and the Context may be destroyed right after it returns.
        queue_cv_.notify_one();
    }
}

void Context::collector_loop() {
    for (;;) {
        WriteRequest* req;
        {
            std::unique_lock lock(queue_mu_);
            queue_cv_.wait(lock, [&] { return queue_head_ || collectors_stopping_; });
            if (!queue_head_) return;  // stopping and nothing left
            req = queue_head_;
            queue_head_ = req->queue_next_;
            if (!queue_head_) queue_tail_ = nullptr;
        }
        // Clear before collecting: a termination during the pass queues the request again.
        req->queued_.store(false);
        Engine::collect(*req);
        Engine::put(req);
    }
}

void Context::kick_flusher(File* f) {
    {
        std::lock_guard lock(flush_mu_);
        if (f->queued_for_flush_) return;
        f->queued_for_flush_ = true;
        flush_queue_.push_back(f);
    }
    flush_cv_.notify_one();
}

void Context::forget_file(File* f) {
    std::unique_lock lock(flush_mu_);
    flush_queue_.erase(std::remove(flush_queue_.begin(), flush_queue_.end(), f), flush_queue_.end());
    f->queued_for_flush_ = false;
    flush_cv_.wait(lock, [&] { return flushing_ != f; });
}

void Context::flusher_loop() {
    std::unique_lock lock(flush_mu_);
    for (;;) {
        flush_cv_.wait(lock, [&] { return !flush_queue_.empty() || flusher_stopping_; });
        if (flusher_stopping_) return;
        File* f = flush_queue_.front();
        flush_queue_.erase(flush_queue_.begin());
        f->queued_for_flush_ = false;
        flushing_ = f;
        lock.unlock();
        f->writeback_background();
        lock.lock();
        flushing_ = nullptr;
        flush_cv_.notify_all();
    }
}

std::shared_ptr<std::byte[]> Context::folio_buffer(uint32_t size) {
    std::byte* p = nullptr;
    {
        std::lock_guard lock(recycler_->mu);
        auto it = recycler_->free.find(size);
        if (it != recycler_->free.end() && !it->second.empty()) {
            p = it->second.back();
            it->second.pop_back();
            recycler_->bytes -= size;
        }
    }
    if (!p) p = new std::byte[size];
    std::weak_ptr<Recycler> weak = recycler_;
    return std::shared_ptr<std::byte[]>(p, [weak, size](std::byte* b) {
        if (auto r = weak.lock()) {
            std::lock_guard lock(r->mu);
            if (r->bytes + size <= r->budget) {
                try {
                    r->free[size].push_back(b);
                    r->bytes += size;
                    return;
                } catch (const std::bad_alloc&) {
                }
            }
        }
        delete[] b;
    });
}

}  // namespace netfs
