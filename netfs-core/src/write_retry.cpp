// The retryer: called by the collector (request lock held) when a stream's oldest
// uncollected subrequest is short or failed with a retryable error.
//
//   1. Wait until no subrequest of that stream is in flight (the collector runs again on
//      each termination, so "wait" is "return and be called again").
//   2. Ask the backend (retry_request): it may switch keys, renegotiate credits,
//      reconnect, or give up (the stream then fails).
//   3. For each run of contiguous subrequests that need a retry (never across a
//      boundary), take the bytes not yet written, [first.start + first.transferred,
//      last.end), and divide them again under freshly prepared limits, reusing the old
//      objects in order, allocating more if the limits shrank, freeing the ones left over.
//   4. Issue the pieces.
//
// A span retried max_retries times after errors, or answered max_no_progress times in a
// row with a success that wrote nothing, fails: a server answering "0 bytes written"
// cannot loop us forever. A short write that moved bytes costs nothing: a server may
// legally answer every Twrite short, and each such answer brings the end closer.
#include <algorithm>

#include "engine.hpp"

namespace netfs {

bool Engine::retry_locked(WriteRequest& req, std::unique_lock<std::mutex>& lock) {
    for (uint8_t i = 0; i < req.nr_streams_; ++i) {
        const Stream& s = req.streams_[i];
        if (!s.need_retry) continue;
        for (const Subrequest* x = s.head; x; x = x->next_)
            if (x->in_flight_) return false;  // not quiet yet
    }
    req.retrying_ = true;
    ++req.ctx_->counters_.retry_passes;
    for (uint8_t i = 0; i < req.nr_streams_; ++i) {
        Stream& s = req.streams_[i];
        if (!s.need_retry) continue;
        s.need_retry = false;
        std::error_code cause;
        for (const Subrequest* x = s.head; x; x = x->next_)
            if (x->need_retry_) {
                cause = x->error_;
                break;
            }
        lock.unlock();
        const RetryDecision d = s.backend->retry_request(req, i, cause);
        lock.lock();
        if (d == RetryDecision::fail) {
            fail_stream_locked(req, s, cause ? cause : make_error_code(errc::retry));
            continue;
        }
        retry_stream_locked(req, i, lock);
    }
    req.retrying_ = false;
    return true;
}

void Engine::retry_stream_locked(WriteRequest& req, uint8_t i, std::unique_lock<std::mutex>& lock) {
    Stream& s = req.streams_[i];
    Context& ctx = *req.ctx_;
    const ContextOptions& opt = ctx.options_;
    Subrequest* issue_head = nullptr;
    Subrequest* issue_tail = nullptr;
    Subrequest* to_free = nullptr;

    for (Subrequest* sreq = s.head; sreq;) {
        if (!sreq->need_retry_ || sreq->in_progress_) {
            sreq = sreq->next_;
            continue;
        }
        // One run: contiguous subrequests needing a retry, not across a boundary.
        Subrequest* from = sreq;
        Subrequest* to = from;
        while (!to->boundary_ && to->next_ && to->next_->need_retry_ && !to->next_->in_progress_ &&
               to->next_->start_ == to->start_ + to->len_)
            to = to->next_;
        Subrequest* const after = to->next_;
        const uint64_t span_end = std::max(to->start_ + to->len_, to->carry_end_);
        const bool boundary = to->boundary_;
        bool progressed = false;
        for (Subrequest* x = from;; x = x->next_) {
            progressed |= x->made_progress_;
            if (x == to) break;
        }
        // A carried remainder is not a retry of its own. Errors count against the retry
        // cap; "no progress" counts only writes that succeeded with nothing written, the
        // answer that could otherwise loop us forever.
        const std::error_code cause = from->error_;
        const uint32_t retries = from->retry_count_ + (from->deferred_ ? 0 : 1);
        const uint32_t error_retries = from->error_retries_ + (!from->deferred_ && cause ? 1 : 0);
        const uint32_t no_progress = from->deferred_ || cause ? from->no_progress_
                                     : progressed          ? 0
                                                           : from->no_progress_ + 1;

        if (error_retries > opt.max_retries || no_progress > opt.max_no_progress) {
            const std::error_code why = no_progress > opt.max_no_progress
                                            ? (cause ? cause : make_error_code(errc::no_progress))
                                            : (cause ? cause : make_error_code(errc::too_many_retries));
            for (Subrequest* x = from;; x = x->next_) {
                x->need_retry_ = false;
                x->failed_ = true;
                x->error_ = why;
                ++ctx.counters_.streams[i].failed;
                trace(req, TraceEvent::sreq_fail, x, -1, x->start_, x->len_, -why.value());
                if (x == to) break;
            }
            sreq = after;
            continue;
        }

        uint64_t pos = from->start_ + from->transferred_;
        Subrequest* reuse = from;     // old objects still to be reused, in order
        Subrequest* prev = from->prev_;
        Subrequest* last_piece = nullptr;
        while (pos < span_end) {
            Subrequest* piece = reuse;
            if (piece) {
                reuse = piece == to ? nullptr : piece->next_;
            } else {
                lock.unlock();
                piece = new_subrequest(req, i, pos, /*may_wait=*/false);
                lock.lock();
                if (!piece) {
                    // No object free now: the last piece carries the rest to a later pass.
                    last_piece->carry_end_ = span_end;
                    break;
                }
                // Link after the previous piece.
                piece->prev_ = prev;
                piece->next_ = prev ? prev->next_ : s.head;
                if (piece->next_) piece->next_->prev_ = piece;
                else s.tail = piece;
                if (prev) prev->next_ = piece;
                else s.head = piece;
            }
            if (piece->transformed_.data()) {
                if (Transformer* t = req.file_->options_.transformer) t->discard(*piece);
                piece->transformed_ = {};
            }
            piece->start_ = pos;
            piece->len_ = 0;
            piece->transferred_ = 0;
            piece->carry_end_ = 0;
            piece->need_retry_ = piece->failed_ = piece->made_progress_ = false;
            piece->deferred_ = piece->boundary_ = piece->retry_requested_ = false;
            piece->error_ = {};
            // A reused object moves on from its own count too, so (object, retry count)
            // never repeats: nothing is issued twice except as a new retry.
            piece->retry_count_ = std::max(retries, piece->retry_count_ + 1);
            piece->no_progress_ = no_progress;
            piece->error_retries_ = error_retries;
            piece->in_progress_ = true;

            lock.unlock();
            Limits limits;
            const std::error_code ec = s.backend->prepare_write(*piece, limits);
            lock.lock();
            limits.max_len = std::max<uint64_t>(limits.max_len, 1);
            limits.max_segs = std::clamp<uint32_t>(limits.max_segs, 1, max_segments);
            uint64_t len = std::min(span_end - pos, limits.max_len);
            if (limits.boundary != no_limit && limits.boundary > pos) len = std::min(len, limits.boundary - pos);
            len = std::max<uint64_t>(fit_segments_locked(req, pos, len, limits.max_segs), 1);
            piece->len_ = len;
            if (ec) {
                piece->failed_ = true;
                piece->error_ = ec;
            }
            piece->issue_next_ = nullptr;
            if (issue_tail) issue_tail->issue_next_ = piece;
            else issue_head = piece;
            issue_tail = piece;
            last_piece = piece;
            prev = piece;
            pos += len;
        }
        if (boundary && last_piece) last_piece->boundary_ = true;
        // Objects the new division did not need.
        while (reuse) {
            Subrequest* next = reuse == to ? nullptr : reuse->next_;
            if (reuse->prev_) reuse->prev_->next_ = reuse->next_;
            else s.head = reuse->next_;
            if (reuse->next_) reuse->next_->prev_ = reuse->prev_;
            else s.tail = reuse->prev_;
            trace(req, TraceEvent::sreq_discard, reuse, -1, reuse->start_, reuse->len_);
            reuse->next_ = to_free;
            to_free = reuse;
            reuse = next;
        }
        sreq = after;
    }

    for (Subrequest* p = issue_head; p; p = p->issue_next_) {
        p->in_flight_ = true;
        s.in_flight_bytes += p->len_;
    }
    lock.unlock();
    while (to_free) {
        Subrequest* next = to_free->next_;
        free_subrequest(to_free);
        to_free = next;
    }
    for (Subrequest* p = issue_head; p;) {
        Subrequest* next = p->issue_next_;  // p may be freed once submitted
        ++ctx.counters_.streams[i].retried;
        trace(req, TraceEvent::sreq_retry, p, -1, p->start_, p->len_, p->retry_count_);
        submit(*p);
        p = next;
    }
    lock.lock();
}

}  // namespace netfs
