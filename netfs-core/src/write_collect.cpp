// The collector: runs on the context's executor, serialised per request. It consumes
// terminations in any order and, per stream, walks from the oldest uncollected
// subrequest while they are finished:
//
//   a gap before the front          collected_to jumps to its start
//   front still in progress         stop
//   stream failed                   the front is cancelled: collected_to jumps past it
//   front wrote bytes               collected_to advances to start + transferred
//   front failed                    the stream fails (an upload failure reaches fsync)
//   front short or retryable        the retryer takes over once the stream is quiet
//   otherwise                       the front is freed
//
// The request's collected_to is the minimum over active streams, and never beyond
// issued_to; every folio whose data ends at or before it has been passed by every stream
// that included it, so its
// writeback ends (once: entries leave the buffer as they are ended). If an upload stream
// failed before a folio's data end, the folio is redirtied, not dropped. A request whose
// issuer is done and whose streams are empty completes, once.
#include <algorithm>
#include <array>

#include "engine.hpp"

namespace netfs {

void Engine::fail_stream_locked(WriteRequest& req, Stream& s, std::error_code ec) {
    if (s.failed) return;
    s.failed = true;
    s.avail = false;
    s.error = ec;
    s.failed_at = s.collected_to;
    if (s.kind != StreamKind::cache && !req.error_) req.error_ = ec;
    notify_locked(req);  // an issuer waiting on this stream can give up
}

void Engine::collect(WriteRequest& req) {
    Context& ctx = *req.ctx_;
    File& file = *req.file_;
    std::unique_lock lock(req.mu_);
    if (req.collecting_) {  // another thread is collecting this request: it will look again
        req.collect_again_ = true;
        return;
    }
    req.collecting_ = true;
    bool drop_progress_ref = false;

    for (;;) {
        req.collect_again_ = false;
        ++ctx.counters_.collector_passes;
        Subrequest* to_free = nullptr;
        bool progress = false, want_retry = false;
        uint64_t low = UINT64_MAX;

        for (uint8_t i = 0; i < req.nr_streams_; ++i) {
            Stream& s = req.streams_[i];
            if (!s.active) continue;
            while (Subrequest* f = s.head) {
                if (s.collected_to < f->start_) s.collected_to = f->start_;  // a gap in this stream
                if (f->in_progress_) break;
                if (s.failed) {
                    s.collected_to = std::max({s.collected_to, f->start_ + f->len_, f->carry_end_});
                    progress = true;
                } else {
                    const uint64_t done_to = f->start_ + f->transferred_;
                    if (done_to > s.collected_to) {
                        s.transferred += done_to - s.collected_to;
                        s.collected_to = done_to;
                        progress = true;
                    }
                    if (f->failed_) {
                        fail_stream_locked(req, s, f->error_);
                        progress = true;  // the issuer may go on: its work for this stream is cancelled
                        trace(req, TraceEvent::sreq_fail, f, -1, f->start_, f->len_, -f->error_.value());
                        continue;  // now cancelled with the rest
                    }
                    if (!f->need_retry_ && f->carry_end_ > f->start_ + f->len_) {
                        // A retry piece that carried the rest of its span: the rest is due now.
                        f->len_ = f->carry_end_ - f->start_;
                        f->carry_end_ = 0;
                        f->need_retry_ = true;
                        f->deferred_ = true;
                    }
                    if (f->need_retry_) {
                        s.need_retry = true;
                        want_retry = true;
                        break;
                    }
                }
                // Collected (or cancelled): unlink and free it outside the lock.
                s.head = f->next_;
                if (s.head) s.head->prev_ = nullptr;
                else s.tail = nullptr;
                f->next_ = to_free;
                to_free = f;
            }
            if (!s.head && req.issued_to_ > s.collected_to) s.collected_to = req.issued_to_;
            low = std::min(low, s.collected_to);
        }
        // Never past issued_to: it is published only once every stream was fed a piece of
        // data, and a stream that has not been fed yet (not active yet) cannot hold it back.
        low = std::min(low, req.issued_to_);
        if (low > req.collected_to_) req.collected_to_ = low;
        trace(req, TraceEvent::collect_pass, nullptr, -1, req.start_, 0, static_cast<int64_t>(req.collected_to_));

        // End the writeback of every folio every stream has passed, a batch at a time
        // outside the request lock (the page lock is taken inside).
        for (;;) {
            std::array<BufferEntry, 16> batch;
            std::array<bool, 16> redirty{};
            size_t nb = 0;
            BufferChunk* spent = nullptr;
            while (nb < batch.size() && req.buf_head_) {
                BufferChunk* c = req.buf_head_;
                if (c->head == c->count) {
                    // A used-up chunk goes, unless the issuer may still append to it.
                    if (!c->next && c->count < BufferChunk::capacity && !req.all_queued_) break;
                    req.buf_head_ = c->next;
                    if (!req.buf_head_) req.buf_tail_ = nullptr;
                    c->next = spent;
                    spent = c;
                    continue;
                }
                BufferEntry& e = c->entries[c->head];
                const uint64_t end = e.pos + e.len;
                if (end > req.collected_to_) break;
                bool r = false;
                if (e.to_upload) {
                    for (uint8_t i = 0; i < req.nr_streams_; ++i) {
                        const Stream& s = req.streams_[i];
                        if (s.backend && s.kind != StreamKind::cache && s.failed && end > s.failed_at) r = true;
                    }
                }
                redirty[nb] = r;
                batch[nb++] = std::move(e);
                ++c->head;
                req.cleaned_to_ = std::max(req.cleaned_to_, end);
            }
            if (nb == 0 && !spent) break;
            lock.unlock();
            for (size_t k = 0; k < nb; ++k) {
                BufferEntry& e = batch[k];
                if (e.folio) {
                    file.end_folio_writeback(e.folio, e.to_upload ? e.pos + e.len : 0, redirty[k]);
                    if (e.to_upload && !redirty[k] && file.options_.on_stored) file.options_.on_stored(e.pos, e.len);
                    ++(redirty[k] ? ctx.counters_.folios_redirtied : ctx.counters_.folios_ended);
                    trace(req, redirty[k] ? TraceEvent::folio_redirty : TraceEvent::folio_end, nullptr, -1,
                          e.folio->pos, e.folio->size);
                    e.folio.reset();
                }
            }
            while (spent) {
                BufferChunk* next = spent->next;
                ctx.chunks_.release(spent);
                spent = next;
            }
            lock.lock();
        }

        if (to_free) {
            lock.unlock();
            while (to_free) {
                Subrequest* next = to_free->next_;
                free_subrequest(to_free);
                to_free = next;
            }
            lock.lock();
        }

        if (want_retry && retry_locked(req, lock)) {
            // The retryer changed the lists (pieces reissued, or spans given up as
            // failed): look at them again before deciding anything else.
            progress = true;
            req.collect_again_ = true;
        }

        bool retry_pending = false;
        for (uint8_t i = 0; i < req.nr_streams_; ++i) retry_pending |= req.streams_[i].need_retry;
        if (progress && !retry_pending && req.paused_) {
            req.paused_ = false;
            trace(req, TraceEvent::request_unpause);
            notify_locked(req);
        }

        if (req.all_queued_ && !req.done_) {
            bool empty = true;
            for (uint8_t i = 0; i < req.nr_streams_; ++i) empty &= req.streams_[i].head == nullptr;
            if (empty && !req.buf_head_) {
                req.done_ = true;
                // What the upload streams confirmed, contiguously from the start: all of it,
                // unless one failed first.
                uint64_t confirmed = req.issued_to_;
                for (uint8_t i = 0; i < req.nr_streams_; ++i) {
                    const Stream& s = req.streams_[i];
                    if (s.backend && s.kind != StreamKind::cache && s.failed)
                        confirmed = std::min(confirmed, s.failed_at);
                }
                req.transferred_ = confirmed > req.start_ ? confirmed - req.start_ : 0;
                const std::error_code error = req.error_;
                lock.unlock();
                for (uint8_t i = 0; i < req.nr_streams_; ++i) {
                    Stream& s = req.streams_[i];
                    if (!s.backend || !s.begun) continue;
                    s.backend->end_request(req, i, s.error);
                    if (s.kind == StreamKind::cache && s.failed) s.backend->invalidate_cache(req, i);
                }
                if (error) ++ctx.counters_.requests_failed;
                trace(req, TraceEvent::request_complete, nullptr, -1, req.start_, req.transferred_, -error.value());
                if (req.on_complete_) req.on_complete_(error, req.transferred_);
                file.request_done(req);  // the file may go away after this: only ctx from here on
                lock.lock();
                notify_locked(req);
                drop_progress_ref = true;
            }
        }
        if (!req.collect_again_) break;
    }
    req.collecting_ = false;
    lock.unlock();
    if (drop_progress_ref) put(&req);
}

}  // namespace netfs
