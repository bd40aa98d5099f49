// The 9P request multiplexer of one connection, with no I/O (sans-I/O).
//
// It owns the tags: it gives each request a tag, encodes it, queues the bytes for the
// transport, matches replies to requests by tag in any order, and completes each
// request exactly once. The transport (client.hpp) only moves bytes and time in:
//
//     submit() ──► take_output() ──► socket ──► on_frame() ──► completion
//                  on_tick(now) drives timeouts; fail_all() ends everything.
//
// Cancellation follows flush(5): a request whose bytes never left is dropped on the
// spot; one that was sent gets a Tflush, and its tag stays reserved until the Rflush
// arrives. If the original reply comes first, the request completes normally (its side
// effects happened); otherwise it completes with the cancel reason. A Tflush that is
// itself not answered within flush_timeout means the server is gone.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <optional>
#include <span>
#include <unordered_map>
#include <vector>

#include "lib9p/error.hpp"
#include "lib9p/message.hpp"

namespace p9 {

class Session {
public:
    using Clock = std::chrono::steady_clock;
    // Called exactly once per request. On success `reply` points at the decoded reply
    // (valid only during the call; payload views point into the received frame).
    // On failure `reply` is null and `ec` says why: a server Rlerror errno (generic
    // category), a timeout or cancellation, or a connection failure.
    using Completion = std::function<void(std::error_code ec, const Message* reply)>;
    using RequestId = uint64_t;

    struct Options {
        uint32_t msize = 8192;
        size_t max_in_flight = 1024;          // tags used by requests at once; more wait for a tag
        Clock::duration request_timeout{};    // zero: no timeout
        Clock::duration flush_timeout = std::chrono::seconds(10);
    };

    struct Stats {
        uint64_t requests = 0, replies = 0, errors = 0, flushes = 0, timeouts = 0, cancelled = 0;
        uint64_t bytes_out = 0, bytes_in = 0;
        size_t max_in_flight = 0;   // most requests on the wire at once
    };

    // One frame for the transport: `head` bytes then the `payload` pieces, which point at
    // the caller's memory (a Twrite's data is never copied).
    struct OutFrame {
        std::vector<std::byte> head;
        std::vector<std::span<const std::byte>> payload;
        size_t size() const;
    };

    explicit Session(Options options);

    // Queues a request. `gather`, for a Twrite, replaces its data with these pieces in
    // order; they must stay valid until completion. Requests the codec cannot encode, or
    // larger than msize, complete synchronously (inside this call) with an error.
    RequestId submit(Message request, Completion done, Clock::time_point now,
                     std::vector<std::span<const std::byte>> gather = {});

    // Cancels a request (no-op if it already completed): see the header comment.
    void cancel(RequestId id, std::error_code reason, Clock::time_point now);

    // Feeds one whole received frame. A frame that does not decode is returned as an
    // error: the byte stream can no longer be trusted and the connection should end.
    [[nodiscard]] std::error_code on_frame(std::span<const std::byte> frame, Clock::time_point now);

    // Expires deadlines. Returns an error when a flush went unanswered (server dead).
    [[nodiscard]] std::error_code on_tick(Clock::time_point now);

    // Completes every request with `ec`. Later submits complete with `ec` too.
    void fail_all(std::error_code ec);

    bool has_output() const { return !out_.empty(); }
    std::vector<OutFrame> take_output();
    std::optional<Clock::time_point> next_deadline() const;

    size_t pending() const { return by_id_.size(); }
    uint32_t msize() const { return options_.msize; }
    void set_msize(uint32_t msize) { options_.msize = msize; }
    void set_request_timeout(Clock::duration d) { options_.request_timeout = d; }
    const Stats& stats() const { return stats_; }

private:
    enum class State { waiting_tag, queued, sent, flushing };
    struct Pending {
        RequestId id = 0;
        uint16_t tag = notag;
        MsgType type{};
        State state = State::waiting_tag;
        Completion done;
        Clock::time_point deadline = Clock::time_point::max();
        std::optional<Message> unsent;                   // held while waiting for a tag
        std::vector<std::span<const std::byte>> gather;
        OutFrame frame;                                  // while queued
        RequestId flush_of = 0;                          // for a Tflush: the request it flushes
        uint16_t flushed_tag = notag;                    // for a Tflush: that request's tag
        RequestId flushed_by = 0;                        // for a flushed request: its Tflush
        std::error_code flush_reason;
    };

    void assign_tag_and_queue(Pending& p);
    void start_waiting();
    void complete(RequestId id, std::error_code ec, const Message* reply);
    uint16_t take_tag();
    void release_tag(uint16_t tag, bool request);
    void send_flush(Pending& p, std::error_code reason, Clock::time_point now);
    Clock::time_point deadline_from(Clock::time_point now) const;

    Options options_;
    Stats stats_;
    std::error_code failed_;
    RequestId next_id_ = 1;
    std::unordered_map<RequestId, Pending> by_id_;
    std::unordered_map<uint16_t, RequestId> by_tag_;
    // Tags cycle through the whole 16-bit space: a tag freed by a reply is the last to be
    // used again, so a stray or duplicated reply finds no request under its tag and is
    // the protocol violation it is, instead of being taken for a later request's answer.
    // Requests in flight are limited to max_in_flight; flushes take tags beyond that, so
    // a flush never waits (2 * 0x7FFF tags in use at most: one is always free).
    uint16_t next_tag_ = 0;
    size_t request_tags_ = 0;              // tags held by requests (not flushes, not Tversion)
    std::deque<RequestId> waiting_;        // requests without a tag, in arrival order
    std::deque<RequestId> out_;            // queued frames, in send order
    size_t on_wire_ = 0;                   // requests whose frames went to the transport
};

}  // namespace p9
