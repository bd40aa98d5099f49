// What adapters call on a subrequest: gather its data, report its outcome, and (for
// transformers) supply transformed bytes.
#include <algorithm>

#include "engine.hpp"

namespace netfs {

bool Engine::retryable(std::error_code ec) {
    return ec == std::errc::resource_unavailable_try_again || ec == std::errc::interrupted ||
           ec == errc::retry;
}

size_t Subrequest::gather(std::span<std::span<const std::byte>> out, uint64_t from, uint64_t max_bytes) const {
    if (from == UINT64_MAX) from = position();
    const uint64_t end = std::min(start_ + len_, max_bytes == UINT64_MAX ? UINT64_MAX : from + max_bytes);
    if (from >= end || out.empty()) return 0;
    if (transformed_.data()) {
        out[0] = transformed_.subspan(from - start_, end - from);
        return 1;
    }
    WriteRequest& req = *req_;
    std::lock_guard lock(req.mu_);
    size_t n = 0;
    uint64_t pos = from;
    for (auto* c = req.buf_head_; c && pos < end && n < out.size(); c = c->next) {
        for (size_t k = c->head; k < c->count && pos < end && n < out.size(); ++k) {
            const auto& e = c->entries[k];
            const uint64_t eend = e.pos + e.len;
            if (eend <= pos || e.pos > pos) continue;  // before us, or a gap (never inside our span)
            const uint64_t piece = std::min(eend, end) - pos;
            out[n++] = std::span<const std::byte>(e.data + (pos - e.pos), piece);
            pos += piece;
        }
    }
    return n;
}

void Subrequest::terminate(uint64_t bytes) { Engine::terminated(*this, bytes, {}, RetryHint::by_error); }

void Subrequest::terminate(std::error_code error, RetryHint hint) {
    if (!error) error = make_error_code(errc::retry);  // an error-less failure is not success
    Engine::terminated(*this, 0, error, hint);
}

void Subrequest::set_transformed(std::span<const std::byte> data) { transformed_ = data; }

void Subrequest::transform_done(std::error_code error) {
    WriteRequest& req = *req_;
    {
        std::lock_guard lock(req.mu_);
        held_ = false;
    }
    if (error) {
        Engine::terminated(*this, 0, error, RetryHint::fail);
        return;
    }
    if (!transformed_.data() || transformed_.size() != len_) {
        Engine::terminated(*this, 0, std::make_error_code(std::errc::invalid_argument), RetryHint::fail);
        return;
    }
    req.streams_[stream_].backend->issue_write(*this);
}

void Engine::terminated(Subrequest& sreq, uint64_t bytes, std::error_code ec, RetryHint hint) {
    WriteRequest& req = *sreq.req_;
    Context& ctx = *req.ctx_;
    auto& counters = ctx.counters_.streams[sreq.stream_];
    // Once the lock is dropped the collector may free the subrequest, and complete and free
    // the request: keep the request alive, and copy what the trace needs first.
    get(&req);
    const uint64_t sreq_index = sreq.index_, sreq_start = sreq.start_, sreq_len = sreq.len_;
    const int stream = sreq.stream_;
    {
        std::lock_guard lock(req.mu_);
        Stream& s = req.streams_[sreq.stream_];
        if (sreq.in_flight_) {
            s.in_flight_bytes -= sreq.len_;
            sreq.in_flight_ = false;
        }
        if (ec) {
            sreq.error_ = ec;
            const bool retry = hint == RetryHint::retry || (hint == RetryHint::by_error && retryable(ec));
            sreq.need_retry_ = retry;
            sreq.retry_requested_ = hint == RetryHint::retry;
            sreq.failed_ = !retry;
            // Pause the issuer only for a retry: a failed stream is simply skipped by it.
            if (retry) req.paused_ = true;
            if (!retry) ++counters.failed;
        } else {
            const uint64_t left = sreq.len_ - sreq.transferred_;
            if (bytes > left) bytes = left;  // a server that claims more than asked: keep what we sent
            sreq.transferred_ += bytes;
            if (bytes > 0) sreq.made_progress_ = true;
            counters.bytes += bytes;
            if (req.streams_[sreq.stream_].kind == StreamKind::upload)
                req.file_->acknowledged_.fetch_add(bytes, std::memory_order_relaxed);
            if (sreq.transferred_ < sreq.len_) {
                sreq.need_retry_ = true;  // short: the rest is retried from transferred_
                ++counters.short_writes;
                req.paused_ = true;
            } else {
                ++counters.completed;
            }
        }
        sreq.in_progress_ = false;
        // A throttled issuer is woken once a quarter of the window is free, so that it
        // issues a batch per wake-up instead of one subrequest per termination. Anything
        // else worth waking for (pause, failure, completion) is notified by the collector.
        Stream& ts = req.streams_[sreq.stream_];
        if (ts.throttled && (ts.in_flight_bytes <= ts.max_in_flight_bytes / 4 * 3 || ec || sreq.need_retry_))
            notify_locked(req);
    }
    if (ctx.tracing_) {
        TraceRecord r;
        r.event = TraceEvent::sreq_terminate;
        r.request = req.id_;
        r.sreq = sreq_index;
        r.stream = stream;
        r.start = sreq_start;
        r.len = sreq_len;
        r.value = ec ? -static_cast<int64_t>(ec.value()) : static_cast<int64_t>(bytes);
        r.when = std::chrono::steady_clock::now();
        ctx.trace(r);
    }
    ctx.schedule_collection(&req);
    put(&req);
}

}  // namespace netfs
