// Request and subrequest lifetimes. Objects come from the context's pools, with the
// writeback priority: these paths must make progress when allocation fails.
#include <cassert>

#include "engine.hpp"

namespace netfs {

WriteRequest* Engine::create_request(File& file, Origin origin, uint64_t start) {
    Context& ctx = file.ctx_;
    WriteRequest* req = ctx.requests_.acquire(Priority::writeback);
    req->id_ = ctx.next_request_id_.fetch_add(1);
    req->origin_ = origin;
    req->file_ = &file;
    req->ctx_ = &ctx;
    req->start_ = start;
    req->issued_to_ = req->collected_to_ = req->cleaned_to_ = start;
    req->nr_streams_ = static_cast<uint8_t>(std::min(file.options_.streams.size(), max_streams));
    {
        std::lock_guard lock(file.mu_);
        req->file_size_ = file.size_;
        ++file.io_count_;
    }
    for (uint8_t i = 0; i < req->nr_streams_; ++i) {
        auto& s = req->streams_[i];
        const StreamConfig& cfg = file.options_.streams[i];
        s.backend = cfg.backend;
        s.max_in_flight_bytes = cfg.max_in_flight_bytes ? cfg.max_in_flight_bytes : UINT64_MAX;
        s.kind = cfg.backend ? cfg.backend->kind() : StreamKind::upload;
        s.collected_to = start;
        bool wanted = cfg.backend != nullptr;
        if (origin == Origin::unbuffered_write && s.kind == StreamKind::cache) wanted = false;
        if (origin == Origin::copy_to_cache && s.kind != StreamKind::cache) wanted = false;
        s.avail = wanted;
    }
    // One reference for the creator, one for the request being in progress (dropped when
    // the collector completes it).
    req->refs_.store(2);
    ++ctx.counters_.requests;
    trace(*req, TraceEvent::request_create, nullptr, -1, start, 0, static_cast<int64_t>(origin));
    return req;
}

void Engine::put(WriteRequest* req) {
    if (req->refs_.fetch_sub(1, std::memory_order_acq_rel) != 1) return;
    Context& ctx = *req->ctx_;
    // Completion already ended every entry; release any chunk left (an empty one).
    for (BufferChunk* c = req->buf_head_; c;) {
        BufferChunk* next = c->next;
        ctx.chunks_.release(c);
        c = next;
    }
    ctx.requests_.release(req);
}

Subrequest* Engine::new_subrequest(WriteRequest& req, uint8_t stream, uint64_t start, bool may_wait) {
    Context& ctx = *req.ctx_;
    Subrequest* sreq = may_wait ? ctx.subrequests_.acquire(Priority::writeback)
                                : ctx.subrequests_.try_acquire(Priority::writeback);
    if (!sreq) return nullptr;
    sreq->req_ = &req;
    sreq->stream_ = stream;
    sreq->start_ = start;
    sreq->index_ = req.next_sreq_index_.fetch_add(1, std::memory_order_relaxed);
    return sreq;
}

void Engine::free_subrequest(Subrequest* sreq) {
    WriteRequest& req = *sreq->req_;
    if (sreq->transformed_.data() || sreq->held_) {
        if (Transformer* t = req.file_->options_.transformer) t->discard(*sreq);
    }
    req.ctx_->subrequests_.release(sreq);
}

void Engine::append_entry(WriteRequest& req, BufferEntry entry) {
    Context& ctx = *req.ctx_;
    std::unique_lock lock(req.mu_);
    if (!req.buf_tail_ || req.buf_tail_->count == BufferChunk::capacity) {
        lock.unlock();
        BufferChunk* chunk = ctx.chunks_.acquire(Priority::writeback);
        lock.lock();
        if (req.buf_tail_) req.buf_tail_->next = chunk;
        else req.buf_head_ = chunk;
        req.buf_tail_ = chunk;
    }
    // The collector's contiguous fronts rely on data arriving in ascending file order.
    assert(entry.pos >= req.issued_to_ && "a request's data must be in ascending order");
    req.buf_tail_->entries[req.buf_tail_->count++] = std::move(entry);
}

void Engine::trace(WriteRequest& req, TraceEvent ev, const Subrequest* sreq, int stream, uint64_t start,
                   uint64_t len, int64_t value) {
    const Context& ctx = *req.ctx_;
    if (!ctx.tracing_) return;
    TraceRecord r;
    r.event = ev;
    r.request = req.id_;
    r.sreq = sreq ? sreq->index_ : 0;
    r.stream = sreq ? sreq->stream_ : stream;
    r.start = start;
    r.len = len;
    r.value = value;
    r.when = std::chrono::steady_clock::now();
    ctx.trace(r);
}

}  // namespace netfs
