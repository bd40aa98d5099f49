#include "lib9p/session.hpp"

#include <algorithm>
#include <cassert>

#include "lib9p/wire.hpp"

namespace p9 {

size_t Session::OutFrame::size() const {
    size_t n = head.size();
    for (auto p : payload) n += p.size();
    return n;
}

Session::Session(Options options) : options_(options) {
    options_.max_in_flight = std::clamp<size_t>(options_.max_in_flight, 1, 0x7FFF);
}

uint16_t Session::take_tag() {
    for (;;) {
        const uint16_t t = next_tag_++;
        if (next_tag_ == notag) next_tag_ = 0;
        if (t != notag && !by_tag_.contains(t)) return t;
    }
}

Session::Clock::time_point Session::deadline_from(Clock::time_point now) const {
    if (options_.request_timeout == Clock::duration::zero()) return Clock::time_point::max();
    return now + options_.request_timeout;
}

Session::RequestId Session::submit(Message request, Completion done, Clock::time_point now,
                                   std::vector<std::span<const std::byte>> gather) {
    const RequestId id = next_id_++;
    if (failed_) {
        done(failed_, nullptr);
        return id;
    }
    Pending& p = by_id_[id];
    p.id = id;
    p.type = type_of(request);
    p.done = std::move(done);
    p.deadline = deadline_from(now);
    p.unsent = std::move(request);
    p.gather = std::move(gather);
    ++stats_.requests;
    if (p.type == MsgType::Tversion || request_tags_ < options_.max_in_flight) {
        assign_tag_and_queue(p);
    } else {
        waiting_.push_back(id);
    }
    return id;
}

void Session::assign_tag_and_queue(Pending& p) {
    Message& m = *p.unsent;
    if (p.type == MsgType::Tversion) {
        p.tag = notag;
    } else {
        p.tag = take_tag();
        ++request_tags_;
    }
    std::error_code ec;
    if (auto* w = std::get_if<Twrite>(&m)) {
        std::vector<std::span<const std::byte>> pieces = std::move(p.gather);
        if (pieces.empty() && !w->data.view.empty()) pieces.push_back(w->data.view);
        size_t count = 0;
        for (auto piece : pieces) count += piece.size();
        if (count + twrite_header_size > options_.msize) {
            ec = errc::message_too_large;
        } else {
            auto h = encode_twrite_header(p.tag, w->fid, w->offset, static_cast<uint32_t>(count));
            p.frame.head.assign(h.begin(), h.end());
            p.frame.payload = std::move(pieces);
        }
    } else {
        ec = encode(p.frame.head, p.tag, m);
        if (!ec && p.frame.head.size() > options_.msize) ec = errc::message_too_large;
    }
    p.unsent.reset();
    p.gather.clear();
    by_tag_[p.tag] = p.id;
    if (ec) {
        complete(p.id, ec, nullptr);
        return;
    }
    p.state = State::queued;
    out_.push_back(p.id);
}

std::vector<Session::OutFrame> Session::take_output() {
    std::vector<OutFrame> frames;
    frames.reserve(out_.size());
    for (RequestId id : out_) {
        auto it = by_id_.find(id);
        if (it == by_id_.end() || it->second.state != State::queued) continue;
        Pending& p = it->second;
        p.state = p.flush_of ? State::flushing : State::sent;
        stats_.bytes_out += p.frame.size();
        frames.push_back(std::move(p.frame));
        p.frame = {};
        if (!p.flush_of) stats_.max_in_flight = std::max(stats_.max_in_flight, ++on_wire_);
    }
    out_.clear();
    return frames;
}

void Session::release_tag(uint16_t tag, bool request) {
    by_tag_.erase(tag);
    if (tag == notag || !request) return;
    --request_tags_;
    start_waiting();
}

void Session::start_waiting() {
    while (request_tags_ < options_.max_in_flight && !waiting_.empty()) {
        RequestId id = waiting_.front();
        waiting_.pop_front();
        auto it = by_id_.find(id);
        if (it != by_id_.end() && it->second.state == State::waiting_tag) assign_tag_and_queue(it->second);
    }
}

void Session::complete(RequestId id, std::error_code ec, const Message* reply) {
    auto it = by_id_.find(id);
    if (it == by_id_.end()) return;
    Pending p = std::move(it->second);
    by_id_.erase(it);
    if (p.state == State::sent || p.state == State::flushing) {
        if (!p.flush_of && on_wire_ > 0) --on_wire_;
    }
    // A request being flushed keeps its tag until the Rflush: the server may still answer.
    const bool keep_tag = p.flushed_by != 0 && by_id_.contains(p.flushed_by);
    if (p.state != State::waiting_tag && !keep_tag) release_tag(p.tag, p.flush_of == 0);
    if (ec) ++stats_.errors;
    if (p.done) p.done(ec, reply);
}

void Session::send_flush(Pending& p, std::error_code reason, Clock::time_point now) {
    if (p.flushed_by) return;  // one flush per request is enough (diod answers only the last)
    p.flush_reason = reason;
    const RequestId fid = next_id_++;
    Pending& f = by_id_[fid];
    f.id = fid;
    f.type = MsgType::Tflush;
    f.flush_of = p.id;
    f.flushed_tag = p.tag;
    f.tag = take_tag();
    f.deadline = options_.flush_timeout == Clock::duration::zero() ? Clock::time_point::max()
                                                                   : now + options_.flush_timeout;
    by_tag_[f.tag] = fid;
    (void)encode(f.frame.head, f.tag, Tflush{p.tag});
    f.state = State::queued;
    out_.push_back(fid);
    p.flushed_by = fid;
    p.state = State::flushing;
    p.deadline = Clock::time_point::max();
    ++stats_.flushes;
}

void Session::cancel(RequestId id, std::error_code reason, Clock::time_point now) {
    auto it = by_id_.find(id);
    if (it == by_id_.end() || it->second.flush_of) return;
    Pending& p = it->second;
    if (reason == errc::cancelled) ++stats_.cancelled;
    switch (p.state) {
        case State::waiting_tag:
            waiting_.erase(std::remove(waiting_.begin(), waiting_.end(), id), waiting_.end());
            complete(id, reason, nullptr);
            break;
        case State::queued:  // never left: the server has not seen it
            out_.erase(std::remove(out_.begin(), out_.end(), id), out_.end());
            complete(id, reason, nullptr);
            break;
        case State::sent:
            send_flush(p, reason, now);
            break;
        case State::flushing:
            break;
    }
}

std::error_code Session::on_frame(std::span<const std::byte> bytes, Clock::time_point) {
    auto frame = decode(bytes);
    if (!frame) return frame.error();
    stats_.bytes_in += bytes.size();
    // A reply nobody is waiting for (a duplicate, a reply to a request never sent, or one
    // for a request already answered whose tag is kept until its Rflush) means the stream
    // cannot be trusted to pair replies with requests any more: the connection must end.
    auto t = by_tag_.find(frame->tag);
    if (t == by_tag_.end()) return errc::protocol_violation;
    auto it = by_id_.find(t->second);
    if (it == by_id_.end()) {
        // The request was answered and then flushed; only its Rflush may still come.
        return errc::protocol_violation;
    }
    if (it->second.state == State::queued || it->second.state == State::waiting_tag) return errc::protocol_violation;
    Pending& p = it->second;
    ++stats_.replies;

    if (p.flush_of) {  // an Rflush (or an error for the Tflush, treated the same)
        const RequestId orig = p.flush_of;
        const uint16_t orig_tag = p.flushed_tag;
        complete(p.id, {}, nullptr);
        auto o = by_id_.find(orig);
        if (o != by_id_.end()) {
            // No reply came before the Rflush: the request never happened.
            o->second.flushed_by = 0;
            complete(orig, o->second.flush_reason, nullptr);
        } else {
            // The request was answered before the Rflush and kept its tag until now.
            release_tag(orig_tag, true);
        }
        return {};
    }

    if (const auto* e = std::get_if<Rlerror>(&frame->msg)) {
        // An error of 0 would read as success with no reply to hand over.
        complete(p.id, e->ecode != 0 ? server_error(e->ecode) : make_error_code(errc::protocol_violation), nullptr);
    } else if (static_cast<uint8_t>(type_of(frame->msg)) != static_cast<uint8_t>(p.type) + 1) {
        complete(p.id, errc::unexpected_reply, nullptr);
    } else {
        complete(p.id, {}, &frame->msg);
    }
    return {};
}

std::error_code Session::on_tick(Clock::time_point now) {
    std::vector<RequestId> expired;
    for (auto& [id, p] : by_id_)
        if (p.deadline <= now) expired.push_back(id);
    std::sort(expired.begin(), expired.end());
    for (RequestId id : expired) {
        auto it = by_id_.find(id);
        if (it == by_id_.end()) continue;
        Pending& p = it->second;
        if (p.flush_of) return errc::timed_out;  // the server did not answer a flush
        ++stats_.timeouts;
        cancel(id, errc::timed_out, now);
    }
    return {};
}

std::optional<Session::Clock::time_point> Session::next_deadline() const {
    std::optional<Clock::time_point> next;
    for (const auto& [id, p] : by_id_)
        if (p.deadline != Clock::time_point::max() && (!next || p.deadline < *next)) next = p.deadline;
    return next;
}

void Session::fail_all(std::error_code ec) {
    if (!failed_) failed_ = ec;
    std::vector<RequestId> ids;
    for (auto& [id, p] : by_id_)
        if (!p.flush_of) ids.push_back(id);
    std::sort(ids.begin(), ids.end());
    for (auto& [id, p] : by_id_) p.flushed_by = 0;  // nothing keeps a tag after the connection ends
    for (RequestId id : ids) complete(id, ec, nullptr);
    by_id_.clear();
    by_tag_.clear();
    request_tags_ = 0;
    waiting_.clear();
    out_.clear();
    on_wire_ = 0;
}

}  // namespace p9
