// The issuer: walks the data of a request once, in ascending file order, and feeds every
// stream that wants each piece. Each stream cuts its own subrequests from file positions
// and lengths only (so unbuffered writes use the same cutter as folios):
//
//   advance(stream, pos, len):
//     an open subrequest that does not end at pos is issued (a gap);
//     with none open, one is prepared at pos (the backend sets its limits);
//     it grows by as much as its limits allow; full, at its segment limit or at a
//     boundary, it is issued.
//
// Issuing waits while the stream has too many bytes in flight, or while the request is
// paused for a retry; it hands the subrequest to the transformer (held until its data is
// ready) or straight to the backend.
#include <algorithm>
#include <array>
#include <cassert>

#include "engine.hpp"

namespace netfs {

bool Engine::begin_stream(WriteRequest& req, uint8_t i) {
    Stream& s = req.streams_[i];
    if (s.begun) {
        std::lock_guard lock(req.mu_);  // the collector may fail the stream meanwhile
        return s.avail;
    }
    s.begun = true;  // only the issuer touches it
    std::error_code ec = s.backend->begin_request(req, i);
    if (ec) {
        std::lock_guard lock(req.mu_);
        fail_stream_locked(req, s, ec);
        s.failed_at = req.start_;  // nothing of this request reached it
        return false;
    }
    return true;
}

void Engine::write_folio(WriteRequest& req, const FolioRef& folio, uint32_t off, uint32_t len) {
    BufferEntry e;
    e.pos = folio->pos + off;
    e.data = folio->data.get() + off;
    e.len = len;
    e.folio = folio;
    e.copy_to_cache = folio->copy_to_cache;
    e.streaming = folio->streaming();
    e.to_upload = !e.copy_to_cache;
    const uint64_t pos = e.pos;
    const bool copy_to_cache = e.copy_to_cache, streaming = e.streaming;
    trace(req, TraceEvent::folio_start, nullptr, -1, folio->pos, folio->size);
    append_entry(req, std::move(e));

    for (uint8_t i = 0; i < req.nr_streams_; ++i) {
        Stream& s = req.streams_[i];
        if (!s.backend) continue;
        // The cache stores whole valid folios only; the servers never get cache-only data.
        const bool wanted = s.kind == StreamKind::cache ? !streaming : !copy_to_cache;
        if (!wanted) continue;
        bool avail;
        {
            std::lock_guard lock(req.mu_);
            avail = s.avail;
        }
        if (!avail || !begin_stream(req, i)) continue;
        uint64_t p = pos, left = len;
        while (left > 0) {
            uint64_t n = advance(req, i, p, left);
            p += n;
            left -= n;
        }
    }
    std::lock_guard lock(req.mu_);
    req.issued_to_ = std::max(req.issued_to_, pos + len);
}

void Engine::write_span(WriteRequest& req, uint64_t pos, const std::byte* data, uint64_t len) {
    // Unbuffered data: one entry per 4 GiB piece (an entry length is 32-bit).
    for (uint64_t done = 0; done < len;) {
        const uint32_t n = static_cast<uint32_t>(std::min<uint64_t>(len - done, 1u << 31));
        BufferEntry e;
        e.pos = pos + done;
        e.data = data + done;
        e.len = n;
        e.to_upload = true;
        append_entry(req, std::move(e));
        done += n;
    }
    for (uint8_t i = 0; i < req.nr_streams_; ++i) {
        Stream& s = req.streams_[i];
        if (!s.backend || s.kind == StreamKind::cache) continue;
        uint64_t p = pos, left = len;
        while (left > 0) {
            {
                // Stop feeding a stream that failed; wait while the request is paused.
                std::unique_lock lock(req.mu_);
                wait(req, lock, [&] { return !req.paused_ || !s.avail; });
                if (!s.avail) break;
            }
            if (!begin_stream(req, i)) break;
            uint64_t n = advance(req, i, p, left);
            p += n;
            left -= n;
        }
    }
    std::lock_guard lock(req.mu_);
    req.issued_to_ = std::max(req.issued_to_, pos + len);
}

uint64_t Engine::fit_segments_locked(WriteRequest& req, uint64_t pos, uint64_t len, uint32_t max_segs) {
    // The longest prefix of [pos, pos+len) that touches at most max_segs buffer entries.
    uint32_t segs = 0;
    const uint64_t end = pos + len;
    for (BufferChunk* c = req.buf_head_; c; c = c->next) {
        for (size_t k = c->head; k < c->count; ++k) {
            const BufferEntry& e = c->entries[k];
            if (e.pos + e.len <= pos) continue;
            if (e.pos >= end) return len;
            if (++segs > max_segs) return std::max<uint64_t>(e.pos, pos) - pos;
        }
    }
    return len;
}

uint64_t Engine::advance(WriteRequest& req, uint8_t i, uint64_t pos, uint64_t len) {
    Stream& s = req.streams_[i];
    Subrequest* c = s.construct;
    if (c && pos != c->start_ + c->len_) {
        issue(req, i);  // discontiguous: a gap in this stream
        c = nullptr;
    }
    if (!c) {
        c = new_subrequest(req, i, pos, /*may_wait=*/true);
        c->in_progress_ = true;
        Limits limits;
        std::error_code ec = s.backend->prepare_write(*c, limits);
        limits.max_len = std::max<uint64_t>(limits.max_len, 1);
        limits.max_segs = std::clamp<uint32_t>(limits.max_segs, 1, max_segments);
        if (ec) {
            c->failed_ = true;
            c->error_ = ec;
        }
        {
            std::lock_guard lock(req.mu_);
            s.limits = limits;
            c->prev_ = s.tail;
            if (s.tail) s.tail->next_ = c;
            else s.head = c;
            s.tail = c;
            if (!s.active) {
                s.active = true;
                s.collected_to = pos;
            }
        }
        s.construct = c;
        trace(req, TraceEvent::sreq_prepare, c, -1, pos, 0, ec ? -ec.value() : 0);
    }
    uint64_t room = s.limits.max_len - c->len_;
    if (s.limits.boundary != no_limit && s.limits.boundary > pos) room = std::min(room, s.limits.boundary - pos);
    const uint64_t part = std::min(room, len);
    c->len_ += part;
    ++c->nr_segs_;
    const bool at_boundary = s.limits.boundary != no_limit && c->start_ + c->len_ == s.limits.boundary;
    if (at_boundary) c->boundary_ = true;
    if (c->len_ >= s.limits.max_len || c->nr_segs_ >= s.limits.max_segs || at_boundary || c->failed_) issue(req, i);
    return part;
}

void Engine::issue(WriteRequest& req, uint8_t i) {
    Stream& s = req.streams_[i];
    Subrequest* c = std::exchange(s.construct, nullptr);
    if (!c) return;
    Context& ctx = *req.ctx_;
    {
        std::unique_lock lock(req.mu_);
        // Throttle on bytes in flight, and do not add work while a retry is being set up.
        auto ready = [&] {
            return s.failed || (!req.paused_ && (s.in_flight_bytes == 0 ||
                                                 s.in_flight_bytes + c->len_ <= s.max_in_flight_bytes));
        };
        if (!ready()) {
            ++ctx.counters_.throttle_waits;
            trace(req, TraceEvent::throttle, c, -1, c->start_, c->len_, static_cast<int64_t>(s.in_flight_bytes));
            s.throttled = true;
            wait(req, lock, ready);
            s.throttled = false;
        }
        if (s.failed) {  // the stream failed meanwhile: this one is cancelled
            c->failed_ = true;
            if (!c->error_) c->error_ = s.error;
        }
        c->in_flight_ = true;
        s.in_flight_bytes += c->len_;
    }
    // --bwlimit: the servers' streams wait for their slot; the local cache never does. A
    // cancelled subrequest goes at once (it sends nothing).
    if (ctx.options_.rate_limit && s.kind != StreamKind::cache && !c->failed_) ctx.options_.rate_limit->acquire(c->len_);
    ++ctx.counters_.streams[i].issued;
    trace(req, TraceEvent::sreq_issue, c, -1, c->start_, c->len_);
    submit(*c);
}

// Hands a prepared subrequest (in flight) to the transformer or the backend.
void Engine::submit(Subrequest& sreq) {
    WriteRequest& req = *sreq.req_;
    if (sreq.failed_) {
        terminated(sreq, 0, sreq.error_, RetryHint::fail);
        return;
    }
    if (Transformer* t = req.file_->options_.transformer) {
        sreq.held_ = true;
        ++req.ctx_->counters_.held_for_transform;
        trace(req, TraceEvent::sreq_held, &sreq, -1, sreq.start_, sreq.len_);
        std::array<std::span<const std::byte>, max_segments> pieces;
        size_t n = sreq.gather(pieces);
        t->transform(sreq, std::span<const std::span<const std::byte>>(pieces.data(), n));
        return;
    }
    req.streams_[sreq.stream_].backend->issue_write(sreq);
}

void Engine::end_issue(WriteRequest& req) {
    for (uint8_t i = 0; i < req.nr_streams_; ++i) issue(req, i);
    {
        std::lock_guard lock(req.mu_);
        req.all_queued_ = true;
        notify_locked(req);
    }
    // The last termination may already have run: make sure the collector looks again.
    req.ctx_->schedule_collection(&req);
}

}  // namespace netfs
