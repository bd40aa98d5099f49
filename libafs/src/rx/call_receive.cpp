// The receiving side of calls: DATA packets into the receive queue, new incoming calls,
// the ACK policy, and what reading does to the window.
#include <algorithm>

#include "engine_impl.hpp"

namespace afs::rx {

using namespace detail;

namespace {

// When several reasons to ACK arise in one event, the most informative one is sent.
int rank(AckReason r) {
    switch (r) {
        case AckReason::exceeds_window: return 5;
        case AckReason::duplicate:
        case AckReason::out_of_sequence: return 4;
        case AckReason::requested:
        case AckReason::ping_response: return 3;
        case AckReason::idle: return 2;
        default: return 1;
    }
}

}  // namespace

void Engine::Impl::on_data(Connection& conn, const PacketView& p, Clock::time_point now) {
    Call* call = call_on(conn, p.header);
    if (!call) {
        answer_finished_call(conn, p.header, now);
        return;
    }
    call->last_heard = now;
    receive_data(*call, p, now);
}

void Engine::Impl::on_data_for_server(Connection& conn, const PacketView& p, Clock::time_point now) {
    const Header& h = p.header;
    if (h.call_number == 0) {
        ++stats.dropped;
        return;
    }
    Channel& ch = conn.channels[h.channel()];
    if (ch.call && ch.call->call_number == h.call_number) {
        ch.call->last_heard = now;
        receive_data(*ch.call, p, now);
        return;
    }
    if (h.call_number <= ch.call_number) {
        answer_finished_call(conn, h, now);
        return;
    }
    // A higher call number starts a new call and says the caller is done with the
    // previous one, if we had sent all of its reply. Otherwise we are still working on it.
    if (ch.call) {
        Call& prev = *ch.call;
        if (prev.send.finished() && prev.send.next_new() == prev.send.end()) {
            succeed_call(prev, now);
        } else {
            send_simple(conn, header_for(conn, h.channel(), h.call_number, PacketType::busy), {});
            ++stats.busies_sent;
            return;
        }
    }
    // A stray packet from far into a call we never saw (one from before a restart).
    if (h.seq > opt.receive_window || conn.error) {
        ++stats.dropped;
        return;
    }
    auto owned = std::make_unique<Call>(data_pool, opt.send_queue_packets, opt.receive_window, opt.congestion);
    Call& call = *owned;
    call.id = next_call_id++;
    call.conn = &conn;
    call.client = false;
    ++conn.calls;
    calls[call.id] = std::move(owned);
    ch.call = &call;
    ch.call_number = h.call_number;
    ch.final_first = 0;
    ch.aborted = false;
    call.channel = h.channel();
    call.call_number = h.call_number;
    call.on_channel = true;
    call.state = Call::State::active;
    call.last_heard = call.last_sent = call.last_progress = now;
    ++stats.incoming_calls;
    events.push_back(EngineEvent{EngineEvent::Kind::incoming_call, call.id, conn.service_id});
    receive_data(call, p, now);
    touch(call);
}

void Engine::Impl::answer_finished_call(Connection& conn, const Header& h, Clock::time_point now) {
    Channel& ch = conn.channels[h.channel()];
    if (h.call_number != ch.call_number || h.call_number == 0) {
        ++stats.dropped;
        return;
    }
    // The peer did not hear our last word on that call; repeat it, but not for every packet.
    if (now - ch.last_answer < std::chrono::milliseconds(10)) return;
    ch.last_answer = now;
    if (ch.aborted) {
        send_abort(conn, h.channel(), h.call_number, ch.abort_code);
    } else if (ch.final_first) {
        send_bare_ack(conn, h.channel(), h.call_number, ch.final_first, AckReason::duplicate, h.serial);
    }
}

void Engine::Impl::receive_data(Call& call, const PacketView& p, Clock::time_point now) {
    if (call.state == Call::State::done) return;
    const Header& h = p.header;
    Connection& conn = *call.conn;
    auto span = conn.security->unseal(PacketIdentity{h.call_number, h.seq, h.channel()}, p.data, h.checksum);
    if (!span || span->offset > p.data.size() || span->length > p.data.size() - span->offset) {
        const std::error_code ec = span ? std::error_code(errc::protocol_violation) : span.error();
        abort_call(call, to_abort_code(ec), ec, now);
        return;
    }
    const auto data = p.data.subspan(span->offset, span->length);
    ++stats.data_packets_received;
    if (call.client && !call.reply_started) {
        // The reply's first packet acknowledges the whole request.
        call.reply_started = true;
        call.send.ack_all_sent();
        call.rto_deadline = never;
        call.busy_until = {};
    }
    switch (call.recv.insert(h.seq, h.has(flag::last_packet), data)) {
        case Arrival::in_order:
            stats.bytes_received += data.size();
            call.last_progress = now;
            ++call.unacked_packets;
            notify(call);
            if (h.has(flag::request_ack)) queue_ack(call, AckReason::requested, h.serial);
            else if (call.unacked_packets >= 2) queue_ack(call, AckReason::idle, h.serial);
            else if (call.ack_deadline == never) call.ack_deadline = now + opt.delayed_ack;
            break;
        case Arrival::out_of_order:
            // ACK at once: the holes it reports drive the sender's fast retransmit.
            stats.bytes_received += data.size();
            call.last_progress = now;
            ++call.unacked_packets;
            queue_ack(call, AckReason::out_of_sequence, h.serial);
            break;
        case Arrival::duplicate:
            ++stats.duplicates_received;
            queue_ack(call, AckReason::duplicate, h.serial);
            break;
        case Arrival::beyond_window:
            ++stats.out_of_window;
            queue_ack(call, AckReason::exceeds_window, h.serial);
            break;
        case Arrival::invalid:
            ++stats.dropped;
            return;
    }
    if (call.client && call.on_channel && call.recv.complete()) reply_complete(call, now);
    touch(call);
}

void Engine::Impl::reply_complete(Call& call, Clock::time_point now) {
    // The final ACK: it tells the server it may forget the call. Sent now rather than
    // after OpenAFS's 400 ms, since the server holds the call until then.
    queue_ack(call, AckReason::idle, 0);
    Connection& conn = *call.conn;
    conn.channels[call.channel].final_first = call.recv.hard_ack_point();
    conn.saved_cwnd = call.cwnd.window();
    conn.saved_ssthresh = call.cwnd.ssthresh();
    unlink(call, now);
    if (call.recv.at_end()) succeed_call(call, now);
    notify(call);
}

void Engine::Impl::queue_ack(Call& call, AckReason reason, uint32_t serial) {
    if (!call.ack_queued || rank(reason) >= rank(call.ack_reason)) {
        call.ack_reason = reason;
        call.ack_serial = serial;
    }
    call.ack_queued = true;
    touch(call);
}

void Engine::Impl::send_ack(Call& call, AckReason reason, uint32_t serial, bool ping, Clock::time_point now) {
    Connection& conn = *call.conn;
    Header h = header_for(conn, call.channel, call.call_number, PacketType::ack);
    h.flags |= flag::slow_start_ok;
    if (ping) h.flags |= flag::request_ack;
    h.serial = conn.take_serial();
    Ack a;
    a.first_packet = call.recv.hard_ack_point();
    a.previous_packet = call.recv.highest_received();
    a.serial = serial;
    a.reason = static_cast<uint8_t>(reason);
    a.acks = std::span<const std::byte>(ack_scratch.data(), call.recv.fill_acks(ack_scratch));
    a.trailer = our_trailer(call.recv.available());
    auto& b = new_output(conn.peer).bytes;
    b.resize(header_size + ack_body_size(a.acks.size()));
    encode_header(h, std::span<std::byte, header_size>(b.data(), header_size));
    (void)encode_ack(a, std::span<std::byte>(b.data() + header_size, b.size() - header_size));
    ++stats.packets_sent;
    ++stats.acks_sent;
    if (ping) {
        conn.record_transmission(h.serial, now);
        ++stats.pings_sent;
    }
    call.last_ack_window = call.recv.available();
    call.unacked_packets = 0;
    call.ack_deadline = never;
    call.last_sent = now;
    touch(call);
}

void Engine::Impl::send_bare_ack(Connection& conn, uint32_t channel, uint32_t call_number, uint32_t first_packet,
                                 AckReason reason, uint32_t serial) {
    Header h = header_for(conn, channel, call_number, PacketType::ack);
    h.flags |= flag::slow_start_ok;
    Ack a;
    a.first_packet = first_packet;
    a.previous_packet = first_packet ? first_packet - 1 : 0;
    a.serial = serial;
    a.reason = static_cast<uint8_t>(reason);
    a.trailer = our_trailer(opt.receive_window);
    std::array<std::byte, ack_body_size(0)> body{};
    (void)encode_ack(a, body);
    send_simple(conn, h, body);
    ++stats.acks_sent;
}

void Engine::Impl::after_read(Call& call, Clock::time_point now) {
    if (call.recv.at_end()) {
        if (call.client && !call.on_channel && call.state == Call::State::active) succeed_call(call, now);
        return;
    }
    if (!call.on_channel || call.recv.complete()) return;
    // Reading opens the window. Tell a sender that may be waiting for it, once half a
    // window has been freed (not for every read: that would be an ACK per packet).
    if (call.recv.available() >= call.last_ack_window + std::max<uint32_t>(1, call.recv.window() / 2))
        queue_ack(call, AckReason::idle, 0);
}

}  // namespace afs::rx
