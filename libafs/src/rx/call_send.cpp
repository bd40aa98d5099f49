// The sending side of calls: what goes on the wire and when (windows, jumbograms,
// REQUEST_ACK), what ACKs mean for it, retransmission timeouts, BUSY.
#include <algorithm>

#include "byte_order.hpp"
#include "engine_impl.hpp"

namespace afs::rx {

using namespace detail;

void Engine::Impl::pump(Call& call, Clock::time_point now, bool resend_lost_now) {
    if (call.state != Call::State::active || !call.on_channel || call.conn->error) return;
    if (call.client && call.reply_started) return;
    if (call.busy_until != Clock::time_point{} && now < call.busy_until) return;
    Connection& conn = *call.conn;
    // The receiver's window bounds the seqs we may send; the congestion window bounds how
    // many packets are on the wire.
    const uint32_t receive_window = std::min(conn.peer_window, opt.max_send_window);  // 0: the peer is full
    const uint32_t window_end = call.send.first_unacked() + receive_window;
    const uint32_t cwnd = std::max<uint32_t>(1, call.cwnd.window());
    batch.clear();
    for (;;) {
        OutgoingPacket* p = call.send.next_to_send(window_end);
        if (!p) break;
        // A packet just found lost goes out at once, as TCP's fast retransmit does, even
        // though the halved window is still full of packets sent before the loss.
        if (call.send.in_flight() >= cwnd && !(resend_lost_now && p->lost)) break;
        const bool again = p->transmissions > 0;
        const uint32_t serial = conn.take_serial();
        call.send.mark_sent(*p, serial, now);
        batch.push_back(Batched{p, serial, again});
    }
    if (batch.empty()) return;
    const bool window_limited = call.send.next_to_send(~0u) != nullptr;
    transmit_batch(call, window_limited, now);
    call.last_sent = now;
    if (call.send.has_outstanding() && call.rto_deadline == never) call.rto_deadline = now + conn.rtt.rto();
    touch(call);
}

void Engine::Impl::transmit_batch(Call& call, bool window_limited, Clock::time_point now) {
    Connection& conn = *call.conn;
    ConnectionSecurity& security = *conn.security;
    const size_t security_header = security.header_size();
    const uint32_t per_datagram = jumbo_packets(conn);
    const uint8_t base_flags = call.client ? flag::client_initiated : 0;

    for (size_t i = 0; i < batch.size();) {
        OutDatagram& out = new_output(conn.peer);
        std::vector<std::byte>& b = out.bytes;
        b.resize(header_size);
        Header h = header_for(conn, call.channel, call.call_number, PacketType::data);
        uint32_t count = 0;
        for (;;) {
            const Batched& e = batch[i];
            OutgoingPacket& p = *e.packet;
            uint8_t flags = base_flags;
            if (p.last) flags |= flag::last_packet;
            // Ask for an ACK where the sender would otherwise wait: the end of a burst that
            // filled the window, a retransmission, the end of a multi-packet stream.
            if (i + 1 == batch.size() && (window_limited || e.retransmission || (p.last && p.seq > 1)))
                flags |= flag::request_ack;

            const size_t area_at = b.size();
            const size_t room = security_header + p.data.size() + 16;  // the class may pad
            b.resize(area_at + room);
            std::copy(p.data.begin(), p.data.end(), b.begin() + static_cast<ptrdiff_t>(area_at + security_header));
            uint16_t checksum = 0;
            auto sealed = security.seal(PacketIdentity{call.call_number, p.seq, call.channel},
                                        std::span<std::byte>(b.data() + area_at, room), p.data.size(), checksum);
            if (!sealed || *sealed > room) {
                b.resize(area_at);
                if (count == 0) {
                    out_pool.give(std::move(b));
                    output.pop_back();
                    --stats.datagrams_sent;
                } else {
                    encode_header(h, std::span<std::byte, header_size>(b.data(), header_size));
                }
                const std::error_code ec = sealed ? std::error_code(errc::protocol_violation) : sealed.error();
                abort_call(call, to_abort_code(ec), ec, now);
                return;
            }
            b.resize(area_at + *sealed);
            if (count == 0) {
                h.seq = p.seq;
                h.serial = e.serial;
                h.flags = flags;
                h.checksum = checksum;
            } else {
                encode_jumbo_header(flags, checksum,
                                    std::span<std::byte, jumbo_header_size>(b.data() + area_at - jumbo_header_size,
                                                                            jumbo_header_size));
            }
            conn.record_transmission(e.serial, now);
            ++stats.packets_sent;
            ++stats.data_packets_sent;
            if (e.retransmission) ++stats.retransmissions;
            else stats.bytes_sent += p.data.size();
            ++count;
            ++i;
            // Another packet may follow in this datagram if it is the next seq (the
            // receiver derives seq and serial by adding one) and this one is exactly 1412.
            const bool more = count < per_datagram && i < batch.size() && batch[i].packet->seq == p.seq + 1 &&
                              batch[i].serial == e.serial + 1 && *sealed == jumbo_buffer_size && !p.last;
            if (!more) break;
            if (count == 1) h.flags |= flag::jumbo_packet;
            else b[area_at - jumbo_header_size] |= std::byte{flag::jumbo_packet};
            b.resize(b.size() + jumbo_header_size);
        }
        encode_header(h, std::span<std::byte, header_size>(b.data(), header_size));
        if (count > 1) ++stats.jumbograms_sent;
    }
}

void Engine::Impl::after_send_progress(Call& call, Clock::time_point now) {
    call.rto_deadline = call.send.has_outstanding() ? now + call.conn->rtt.rto() : never;
    notify(call);  // the send queue has room again
}

void Engine::Impl::on_ack(Connection& conn, const Header& h, std::span<const std::byte> body, Clock::time_point now) {
    ++stats.acks_received;
    auto ack = decode_ack(body);
    if (!ack) {
        ++stats.dropped;
        return;
    }
    conn.learn_from(ack->trailer);
    Call* call = call_on(conn, h);
    if (call) call->last_heard = now;

    if (h.has(flag::request_ack)) {
        // A ping (the fileserver's reachability check among them) is answered at once on
        // the same call number, echoing the ping's serial.
        const AckReason reason =
            ack->reason_code() == AckReason::ping ? AckReason::ping_response : AckReason::requested;
        if (call && call->state != Call::State::done) {
            send_ack(*call, reason, h.serial, false, now);
        } else {
            const Channel& ch = conn.channels[h.channel()];
            const uint32_t first = ch.call_number == h.call_number && ch.final_first ? ch.final_first : 1;
            send_bare_ack(conn, h.channel(), h.call_number, first, reason, h.serial);
        }
        if (reason == AckReason::ping_response) ++stats.ping_responses_sent;
    }
    if (!call) return;

    // Every serial names one transmission, so any ACK that names one is a clean RTT
    // sample, except delayed ACKs, which say more about the peer's timer than the path.
    if (ack->reason_code() != AckReason::delay && ack->serial != 0)
        if (auto rtt = conn.rtt_sample(ack->serial, now)) conn.rtt.sample(*rtt);

    if (call->state != Call::State::active || (call->client && call->reply_started)) return;
    const SendAckResult r = call->send.on_ack(ack->first_packet, ack->acks, ack->serial);
    if (r.ignored) return;
    if (r.newly_acked) {
        call->cwnd.on_acked(r.newly_acked);
        call->last_progress = now;
    }
    call->cwnd.on_progress(call->send.first_unacked());
    if (r.newly_lost) {
        stats.fast_retransmits += r.newly_lost;
        call->cwnd.on_fast_retransmit(call->send.next_new() - 1);
    }
    if (r.newly_acked || r.advanced) after_send_progress(*call, now);
    if (!call->client && call->send.all_acked()) {
        succeed_call(*call, now);  // our reply is in the caller's hands
        return;
    }
    pump(*call, now, r.newly_lost > 0);
    touch(*call);
}

void Engine::Impl::on_busy(Connection& conn, const Header& h, Clock::time_point now) {
    ++stats.busies_received;
    if (!conn.client) return;
    Call* call = call_on(conn, h);
    // BUSY means the server has not taken the call: only then may it move or wait.
    if (!call || call->state != Call::State::active || call->reply_started || call->send.first_unacked() != 1) return;
    call->last_heard = now;
    const int free = conn.free_channel();
    if (free >= 0) {
        // The channel is still busy with an earlier call on the server: use another one.
        // Its call number stays used, so the next call there is a fresh number.
        conn.channels[call->channel].call = nullptr;
        Channel& ch = conn.channels[static_cast<size_t>(free)];
        ch.call = call;
        if (++ch.call_number == 0) ch.call_number = 1;
        ch.final_first = 0;
        ch.aborted = false;
        call->channel = static_cast<uint32_t>(free);
        call->call_number = ch.call_number;
        call->send.restart();
        call->rto_deadline = never;
        pump(*call, now);
    } else {
        // Wait and send again, without taking it as congestion.
        call->busy_until = now + conn.rtt.rto();
        call->send.mark_all_lost();
        call->rto_deadline = never;
    }
    touch(*call);
}

void Engine::Impl::on_ackall(Connection& conn, const Header& h, Clock::time_point now) {
    Call* call = call_on(conn, h);
    if (!call || call->state != Call::State::active) return;
    call->last_heard = now;
    call->send.ack_all_sent();
    after_send_progress(*call, now);
    if (!call->client && call->send.all_acked()) {
        succeed_call(*call, now);
        return;
    }
    pump(*call, now);
}

void Engine::Impl::retransmission_timeout(Call& call, Clock::time_point now) {
    call.rto_deadline = never;
    if (!call.send.has_outstanding()) return;
    ++stats.timeouts;
    call.conn->rtt.back_off();
    call.cwnd.on_timeout();
    call.send.mark_all_lost();
    call.rto_deadline = now + call.conn->rtt.rto();
    pump(call, now);
}

}  // namespace afs::rx
