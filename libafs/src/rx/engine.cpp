// The engine's public face, the demultiplexing of received datagrams, call lifecycles
// and the timer heap. Packet-level work is in call_send.cpp, call_receive.cpp and
// connection.cpp.
#include <algorithm>
#include <cstdio>
#include <cstring>
#include <random>

#include "engine_impl.hpp"

namespace afs::rx {

using namespace detail;

PeerAddress PeerAddress::ipv4(uint32_t address, uint16_t port) {
    PeerAddress p;
    p.ip[0] = static_cast<uint8_t>(address >> 24);
    p.ip[1] = static_cast<uint8_t>(address >> 16);
    p.ip[2] = static_cast<uint8_t>(address >> 8);
    p.ip[3] = static_cast<uint8_t>(address);
    p.port = port;
    return p;
}

std::string PeerAddress::to_string() const {
    char buf[64];
    if (!v6) {
        std::snprintf(buf, sizeof buf, "%u.%u.%u.%u:%u", ip[0], ip[1], ip[2], ip[3], port);
        return buf;
    }
    std::string s = "[";
    for (int i = 0; i < 16; i += 2) {
        std::snprintf(buf, sizeof buf, "%s%x", i ? ":" : "", (ip[i] << 8) | ip[i + 1]);
        s += buf;
    }
    std::snprintf(buf, sizeof buf, "]:%u", port);
    return s + buf;
}

namespace detail {

size_t ServerKeyHash::operator()(const ServerKey& k) const noexcept {
    uint64_t h = 1469598103934665603ull;
    auto mix = [&h](uint64_t v) { h = (h ^ v) * 1099511628211ull; };
    mix(k.epoch);
    mix(k.cid);
    for (uint8_t b : k.peer.ip) mix(b);
    mix(k.peer.port);
    return static_cast<size_t>(h);
}

}  // namespace detail

// ---- construction -------------------------------------------------------------------

Engine::Impl::Impl(EngineOptions o, Clock::time_point now) : opt(std::move(o)) {
    opt.max_packet_size = std::clamp(opt.max_packet_size, min_packet_size, max_packet_size);
    opt.receive_window = std::clamp<uint32_t>(opt.receive_window, 1, max_acks);
    opt.max_send_window = std::clamp<uint32_t>(opt.max_send_window, 1, max_acks);
    opt.initial_peer_window = std::clamp<uint32_t>(opt.initial_peer_window, 1, max_acks);
    // A jumbogram we advertise must fit in the largest packet Rx knows.
    const uint32_t jumbo_fit = (max_packet_size - header_size + jumbo_header_size) / (jumbo_buffer_size + jumbo_header_size);
    opt.jumbo_max = std::clamp<uint32_t>(opt.jumbo_max, 1, jumbo_fit);
    if (opt.send_queue_packets == 0) opt.send_queue_packets = 2 * opt.max_send_window;
    opt.congestion.max_window = std::min(opt.congestion.max_window, opt.max_send_window);
    keepalive = opt.keepalive > Clock::duration::zero() ? opt.keepalive : opt.dead_time / 6;

    std::random_device rd;
    // OpenAFS's rule: bit 31 set (match connections by id, not by address), bit 30 clear.
    epoch = opt.epoch ? opt.epoch : ((rd() | epoch_match_by_id_only) & ~0x40000000u);
    next_cid = (opt.first_cid ? opt.first_cid : rd()) & ~cid_channel_mask;
    housekeeping = now + std::chrono::seconds(30);
}

Engine::Engine(EngineOptions options, Clock::time_point now) : impl_(std::make_unique<Impl>(std::move(options), now)) {}
Engine::~Engine() = default;

uint32_t Engine::epoch() const { return impl_->epoch; }
const EngineOptions& Engine::options() const { return impl_->opt; }
const EngineStats& Engine::stats() const { return impl_->stats; }

// ---- lookups and small helpers -----------------------------------------------------

Engine::Impl::Call* Engine::Impl::find_call(CallId id) const {
    auto it = calls.find(id);
    return it == calls.end() ? nullptr : it->second.get();
}

Engine::Impl::Call* Engine::Impl::call_on(Connection& conn, const Header& h) const {
    Call* c = conn.channels[h.channel()].call;
    return c && c->call_number == h.call_number ? c : nullptr;
}

void Engine::Impl::touch(Call& call) {
    if (call.dirty) return;
    call.dirty = true;
    touched.push_back(&call);
}

void Engine::Impl::notify(Call& call) {
    touch(call);
    if (call.notified || call.released) return;
    call.notified = true;
    events.push_back(EngineEvent{EngineEvent::Kind::call_updated, call.id, 0});
}

OutDatagram& Engine::Impl::new_output(const PeerAddress& to) {
    output.push_back(OutDatagram{to, out_pool.take()});
    ++stats.datagrams_sent;
    return output.back();
}

Header Engine::Impl::header_for(const Connection& conn, uint32_t channel, uint32_t call_number, PacketType type) const {
    Header h;
    h.epoch = conn.epoch;
    h.cid = conn.cid | channel;
    h.call_number = call_number;
    h.type = type;
    h.flags = conn.client ? flag::client_initiated : 0;
    h.security_index = conn.security_index;
    h.service_id = conn.service_id;
    return h;
}

void Engine::Impl::send_simple(Connection& conn, const Header& header, std::span<const std::byte> body) {
    Header h = header;
    h.serial = conn.take_serial();
    auto& b = new_output(conn.peer).bytes;
    b.resize(header_size + body.size());
    encode_header(h, std::span<std::byte, header_size>(b.data(), header_size));
    if (!body.empty()) std::memcpy(b.data() + header_size, body.data(), body.size());
    ++stats.packets_sent;
}

void Engine::Impl::send_abort(Connection& conn, uint32_t channel, uint32_t call_number, int32_t code) {
    std::array<std::byte, 4> body;
    encode_abort_body(code, body);
    send_simple(conn, header_for(conn, channel, call_number, PacketType::abort), body);
    ++stats.aborts_sent;
}

// ---- call lifecycle ----------------------------------------------------------------

void Engine::Impl::activate(Call& call, Channel& ch, uint32_t channel, Clock::time_point now) {
    ch.call = &call;
    if (++ch.call_number == 0) ch.call_number = 1;
    ch.final_first = 0;
    ch.aborted = false;
    call.channel = channel;
    call.call_number = ch.call_number;
    call.on_channel = true;
    call.state = Call::State::active;
    call.last_heard = call.last_sent = call.last_progress = now;
    ++stats.calls_started;
    pump(call, now);
    notify(call);
}

void Engine::Impl::unlink(Call& call, Clock::time_point now) {
    if (!call.on_channel) return;
    Channel& ch = call.conn->channels[call.channel];
    if (ch.call == &call) ch.call = nullptr;
    call.on_channel = false;
    call.rto_deadline = call.ack_deadline = never;
    touch(call);
    if (call.client) start_waiting(*call.conn, now);
}

void Engine::Impl::start_waiting(Connection& conn, Clock::time_point now) {
    while (!conn.waiting.empty() && !conn.error) {
        const int free = conn.free_channel();
        if (free < 0) return;
        Call* next = conn.waiting.front();
        conn.waiting.pop_front();
        activate(*next, conn.channels[static_cast<size_t>(free)], static_cast<uint32_t>(free), now);
    }
}

void Engine::Impl::fail_call(Call& call, std::error_code ec, Clock::time_point now) {
    if (call.state == Call::State::done) return;
    if (call.state == Call::State::waiting) {
        auto& w = call.conn->waiting;
        w.erase(std::remove(w.begin(), w.end(), &call), w.end());
    }
    call.state = Call::State::done;
    call.error = ec;
    call.ack_queued = false;
    ++stats.calls_failed;
    unlink(call, now);
    notify(call);
}

void Engine::Impl::succeed_call(Call& call, Clock::time_point now) {
    if (call.state == Call::State::done) return;
    call.state = Call::State::done;
    ++stats.calls_succeeded;
    unlink(call, now);
    notify(call);
}

void Engine::Impl::abort_call(Call& call, int32_t code, std::error_code local, Clock::time_point now) {
    if (call.state == Call::State::done) return;
    if (call.on_channel) {
        Channel& ch = call.conn->channels[call.channel];
        send_abort(*call.conn, call.channel, call.call_number, code);
        ch.aborted = true;
        ch.abort_code = code;
    }
    fail_call(call, local, now);
}

void Engine::Impl::fail_connection(Connection& conn, std::error_code ec, Clock::time_point now) {
    if (!conn.error) conn.error = ec;
    for (auto& ch : conn.channels)
        if (ch.call) fail_call(*ch.call, ec, now);
    while (!conn.waiting.empty()) fail_call(*conn.waiting.front(), ec, now);
}

bool Engine::Impl::deletable(const Call& call) const {
    return call.released && call.state == Call::State::done && !call.on_channel;
}

void Engine::Impl::delete_call(Call& call) {
    Connection& conn = *call.conn;
    --conn.calls;
    calls.erase(call.id);  // its timer entries go stale and are skipped
    maybe_delete_connection(conn);
}

void Engine::Impl::maybe_delete_connection(Connection& conn) {
    if (!conn.closed || conn.calls > 0) return;
    if (conn.client) {
        auto it = client_by_cid.find(conn.cid);
        if (it != client_by_cid.end() && it->second == &conn) client_by_cid.erase(it);
    }
    conns.erase(conn.id);
}

// ---- timers ------------------------------------------------------------------------

Clock::time_point Engine::Impl::deadline_of(const Call& call) const {
    if (call.state != Call::State::active || !call.on_channel) return never;
    Clock::time_point d = std::min(call.rto_deadline, call.ack_deadline);
    if (call.busy_until != Clock::time_point{}) d = std::min(d, call.busy_until);
    d = std::min(d, call.last_heard + opt.dead_time);
    if (opt.idle_timeout > Clock::duration::zero()) d = std::min(d, call.last_progress + opt.idle_timeout);
    if (keepalive > Clock::duration::zero()) d = std::min(d, call.last_sent + keepalive);
    return d;
}

void Engine::Impl::reschedule(Call& call) {
    const Clock::time_point d = deadline_of(call);
    if (d == call.scheduled) return;
    call.scheduled = d;
    ++call.timer_generation;
    if (d != never) timers.push(TimerEntry{d, call.id, call.timer_generation});
    // Stale entries pile up when deadlines move often; rebuild the heap now and then.
    if (timers.size() > 64 + 8 * calls.size()) {
        decltype(timers) fresh;
        for (auto& [id, c] : calls)
            if (c->scheduled != never) fresh.push(TimerEntry{c->scheduled, id, c->timer_generation});
        timers.swap(fresh);
    }
}

void Engine::Impl::settle(Clock::time_point now) {
    for (size_t i = 0; i < touched.size(); ++i) {
        Call& c = *touched[i];
        c.dirty = false;
        if (c.ack_queued) {
            c.ack_queued = false;
            if (!c.error) send_ack(c, c.ack_reason, c.ack_serial, false, now);
        }
        if (deletable(c)) {
            delete_call(c);
            continue;
        }
        reschedule(c);
    }
    touched.clear();
    while (!timers.empty()) {
        const TimerEntry& top = timers.top();
        const Call* c = find_call(top.call);
        if (c && c->timer_generation == top.generation) break;
        timers.pop();
    }
}

void Engine::Impl::on_call_timer(Call& call, Clock::time_point now) {
    if (call.state != Call::State::active || !call.on_channel) return;
    if (now >= call.last_heard + opt.dead_time) {
        fail_call(call, errc::peer_dead, now);
        return;
    }
    if (opt.idle_timeout > Clock::duration::zero() && now >= call.last_progress + opt.idle_timeout) {
        abort_call(call, abort_code::RX_CALL_TIMEOUT, errc::timed_out, now);
        return;
    }
    if (call.busy_until != Clock::time_point{} && call.busy_until <= now) {
        call.busy_until = {};
        pump(call, now);
    }
    if (call.rto_deadline <= now) retransmission_timeout(call, now);
    if (call.ack_deadline <= now) {
        call.ack_deadline = never;
        queue_ack(call, AckReason::delay, 0);
    }
    if (keepalive > Clock::duration::zero() && now >= call.last_sent + keepalive && !call.ack_queued)
        send_ack(call, AckReason::ping, 0, true, now);
}

void Engine::Impl::housekeep(Clock::time_point now) {
    housekeeping = now + std::chrono::seconds(30);
    std::vector<Connection*> idle;
    for (auto& [id, c] : conns)
        if (!c->client && c->calls == 0 && now - c->last_heard >= opt.server_connection_idle) idle.push_back(c.get());
    for (Connection* c : idle) {
        server_by_key.erase(ServerKey{c->epoch, c->cid, (c->epoch & epoch_match_by_id_only) ? PeerAddress{} : c->peer});
        conns.erase(c->id);
    }
}

void Engine::on_timer(Clock::time_point now) {
    auto& s = *impl_;
    while (!s.timers.empty() && s.timers.top().at <= now) {
        const TimerEntry e = s.timers.top();
        s.timers.pop();
        Impl::Call* c = s.find_call(e.call);
        if (!c || c->timer_generation != e.generation) continue;
        c->scheduled = never;
        s.on_call_timer(*c, now);
        s.touch(*c);
    }
    if (s.housekeeping <= now) s.housekeep(now);
    s.settle(now);
}

std::optional<Clock::time_point> Engine::next_deadline() const {
    const auto& s = *impl_;
    Clock::time_point d = s.housekeeping;
    if (!s.timers.empty()) d = std::min(d, s.timers.top().at);
    if (d == never) return std::nullopt;
    return d;
}

// ---- output and events -------------------------------------------------------------

bool Engine::has_output() const { return !impl_->output.empty(); }
OutDatagram& Engine::front_output() { return impl_->output.front(); }
void Engine::pop_output() {
    auto& s = *impl_;
    s.out_pool.give(std::move(s.output.front().bytes));
    s.output.pop_front();
}

void Engine::take_events(std::vector<EngineEvent>& out) {
    auto& s = *impl_;
    out.clear();
    out.swap(s.events);
    for (const auto& e : out)
        if (Impl::Call* c = s.find_call(e.call)) c->notified = false;
}

// ---- connections and services ------------------------------------------------------

ConnectionId Engine::connect(const PeerAddress& peer, uint16_t service_id, std::shared_ptr<SecurityClass> security,
                             Clock::time_point now) {
    auto& s = *impl_;
    auto c = std::make_unique<Connection>();
    c->id = s.next_conn_id++;
    c->client = true;
    c->peer = peer;
    c->epoch = s.epoch;
    while (s.client_by_cid.contains(s.next_cid)) s.next_cid += cid_increment;
    c->cid = s.next_cid;
    s.next_cid += cid_increment;
    c->service_id = service_id;
    if (security) {
        c->security_index = security->index();
        c->security = security->new_connection(ConnectionIdentity{c->epoch, c->cid, service_id, c->security_index, true});
    }
    if (!c->security) c->error = errc::security_mismatch;
    c->security_class = std::move(security);
    c->rtt = RttEstimator(s.opt.rtt);
    c->peer_window = s.opt.initial_peer_window;
    c->last_heard = now;
    if (s.shut) c->error = s.shut;
    const ConnectionId id = c->id;
    s.client_by_cid[c->cid] = c.get();
    s.conns[id] = std::move(c);
    return id;
}

void Engine::close_connection(ConnectionId id, Clock::time_point now) {
    auto& s = *impl_;
    auto it = s.conns.find(id);
    if (it == s.conns.end() || !it->second->client) return;
    Connection& conn = *it->second;
    if (conn.closed) return;
    conn.closed = true;
    if (!conn.error) conn.error = errc::not_connected;
    for (auto& ch : conn.channels)
        if (ch.call) s.abort_call(*ch.call, abort_code::RX_USER_ABORT, errc::not_connected, now);
    while (!conn.waiting.empty()) s.fail_call(*conn.waiting.front(), errc::not_connected, now);
    s.settle(now);
    s.maybe_delete_connection(conn);
}

ConnectionStats Engine::connection_stats(ConnectionId id) const {
    const auto& s = *impl_;
    ConnectionStats st;
    auto it = s.conns.find(id);
    if (it == s.conns.end()) return st;
    const Connection& c = *it->second;
    st.exists = true;
    st.srtt = c.rtt.srtt();
    st.rto = c.rtt.rto();
    st.peer_window = c.peer_window;
    st.peer_max_packet = c.peer_max_mtu;
    st.peer_jumbo_max = c.peer_jumbo_max;
    st.congestion_window = c.saved_cwnd;
    st.packet_payload = s.packet_payload(c);
    st.error = c.error;
    return st;
}

void Engine::add_service(uint16_t service_id, std::shared_ptr<SecurityClass> security) {
    impl_->services[service_id] = std::move(security);
}

// ---- calls -------------------------------------------------------------------------

result<CallId> Engine::new_call(ConnectionId conn_id, Clock::time_point now) {
    auto& s = *impl_;
    if (s.shut) return fail(s.shut);
    auto it = s.conns.find(conn_id);
    if (it == s.conns.end() || !it->second->client) return fail(errc::not_connected);
    Connection& conn = *it->second;
    if (conn.error) return fail(conn.error);
    auto owned = std::make_unique<Call>(s.data_pool, s.opt.send_queue_packets, s.opt.receive_window, s.opt.congestion);
    Call& call = *owned;
    call.id = s.next_call_id++;
    call.conn = &conn;
    call.client = true;
    if (conn.saved_cwnd) call.cwnd.resume(conn.saved_cwnd, conn.saved_ssthresh);
    ++conn.calls;
    s.calls[call.id] = std::move(owned);
    const int free = conn.free_channel();
    if (free >= 0 && conn.waiting.empty()) {
        s.activate(call, conn.channels[static_cast<size_t>(free)], static_cast<uint32_t>(free), now);
    } else {
        conn.waiting.push_back(&call);
    }
    s.touch(call);
    const CallId id = call.id;
    s.settle(now);
    return id;
}

result<size_t> Engine::write(CallId id, std::span<const std::byte> data, Clock::time_point now) {
    auto& s = *impl_;
    Impl::Call* call = s.find_call(id);
    if (!call || call->released) return fail(errc::bad_value);
    if (call->error) return fail(call->error);
    if (call->state == Impl::Call::State::done || call->send.finished() || (call->client && call->reply_started))
        return fail(errc::protocol_violation);
    const size_t n = call->send.write(data, s.packet_payload(*call->conn));
    if (n) s.pump(*call, now);
    s.touch(*call);
    s.settle(now);
    return n;
}

std::error_code Engine::finish(CallId id, Clock::time_point now) {
    auto& s = *impl_;
    Impl::Call* call = s.find_call(id);
    if (!call || call->released) return errc::bad_value;
    if (call->error) return call->error;
    if (call->state == Impl::Call::State::done || (call->client && call->reply_started))
        return errc::protocol_violation;
    call->send.finish();
    s.pump(*call, now);
    s.touch(*call);
    s.settle(now);
    return {};
}

result<size_t> Engine::read(CallId id, std::span<std::byte> out, Clock::time_point now) {
    auto& s = *impl_;
    Impl::Call* call = s.find_call(id);
    if (!call || call->released) return fail(errc::bad_value);
    if (call->error) return fail(call->error);
    const size_t n = call->recv.read(out);
    s.after_read(*call, now);
    s.touch(*call);
    s.settle(now);
    return n;
}

void Engine::abort(CallId id, int32_t code, Clock::time_point now) {
    auto& s = *impl_;
    Impl::Call* call = s.find_call(id);
    if (!call) return;
    s.abort_call(*call, code, errc::cancelled, now);
    s.settle(now);
}

void Engine::release(CallId id, Clock::time_point now) {
    auto& s = *impl_;
    Impl::Call* call = s.find_call(id);
    if (!call || call->released) return;
    call->released = true;
    using State = Impl::Call::State;
    if (call->state == State::waiting) {
        s.fail_call(*call, errc::cancelled, now);
    } else if (call->state == State::active) {
        if (call->client && !call->on_channel) {
            s.succeed_call(*call, now);  // the whole reply arrived; unread bytes are dropped
        } else if (call->client || !call->send.finished()) {
            s.abort_call(*call, abort_code::RX_USER_ABORT, errc::cancelled, now);
        }
        // A server call whose reply is written stays until the peer acknowledges it.
    }
    s.touch(*call);
    s.settle(now);
}

CallStatus Engine::status(CallId id) const {
    const auto& s = *impl_;
    CallStatus st;
    const Impl::Call* call = s.find_call(id);
    if (!call || call->released) return st;
    using State = Impl::Call::State;
    st.exists = true;
    st.started = call->state != State::waiting || call->error;
    st.error = call->error;
    st.done = call->state == State::done;
    st.readable = call->error ? 0 : call->recv.readable();
    st.end_of_data = call->recv.at_end();
    if (call->state != State::done && !call->send.finished() && !(call->client && call->reply_started))
        st.writable = call->send.space(s.packet_payload(*call->conn));
    return st;
}

ConnectionId Engine::connection_of(CallId id) const {
    const Impl::Call* call = impl_->find_call(id);
    return call ? call->conn->id : 0;
}

std::pair<uint32_t, uint32_t> Engine::channel_of(CallId id) const {
    const Impl::Call* call = impl_->find_call(id);
    if (!call || call->state == Impl::Call::State::waiting) return {0, 0};
    return {call->channel, call->call_number};
}

void Engine::shutdown(std::error_code ec, Clock::time_point now) {
    auto& s = *impl_;
    if (!s.shut) s.shut = ec;
    for (auto& [id, c] : s.conns)
        if (!c->error) c->error = ec;
    std::vector<Impl::Call*> live;
    for (auto& [id, c] : s.calls)
        if (c->state != Impl::Call::State::done) live.push_back(c.get());
    for (Impl::Call* c : live) s.fail_call(*c, ec, now);
    s.settle(now);
}

// ---- demultiplexing ----------------------------------------------------------------

Engine::Impl::Connection* Engine::Impl::client_connection_for(const Header& h) {
    if (h.epoch != epoch) return nullptr;
    auto it = client_by_cid.find(h.connection_id());
    return it == client_by_cid.end() ? nullptr : it->second;
}

Engine::Impl::Connection* Engine::Impl::server_connection_for(const PeerAddress& from, const Header& h,
                                                              Clock::time_point now) {
    const bool by_id = (h.epoch & epoch_match_by_id_only) != 0;
    const ServerKey key{h.epoch, h.connection_id(), by_id ? PeerAddress{} : from};
    if (auto it = server_by_key.find(key); it != server_by_key.end()) {
        if (by_id) it->second->peer = from;  // follow the peer across address changes
        return it->second;
    }
    // Only the first DATA packet of a call opens a connection.
    if (h.type != PacketType::data || h.call_number == 0) return nullptr;
    auto svc = services.find(h.service_id);
    if (svc == services.end() || !svc->second || svc->second->index() != h.security_index) {
        // Tell the caller at once rather than let it retry until its dead time.
        Header a = h;
        a.type = PacketType::abort;
        a.flags = 0;
        a.seq = 0;
        a.serial = 1;
        a.checksum = 0;
        a.user_status = 0;
        auto& b = new_output(from).bytes;
        b.resize(header_size + 4);
        encode_header(a, std::span<std::byte, header_size>(b.data(), header_size));
        encode_abort_body(abort_code::RX_INVALID_OPERATION, std::span<std::byte, 4>(b.data() + header_size, 4));
        ++stats.packets_sent;
        ++stats.aborts_sent;
        return nullptr;
    }
    size_t servers = server_by_key.size();
    if (servers >= opt.max_server_connections) return nullptr;
    auto c = std::make_unique<Connection>();
    c->id = next_conn_id++;
    c->client = false;
    c->peer = from;
    c->epoch = h.epoch;
    c->cid = h.connection_id();
    c->service_id = h.service_id;
    c->security_index = h.security_index;
    c->security_class = svc->second;
    c->security = svc->second->new_connection(ConnectionIdentity{c->epoch, c->cid, c->service_id, c->security_index, false});
    if (!c->security) return nullptr;  // the class refused: as if the service did not exist
    c->rtt = RttEstimator(opt.rtt);
    c->peer_window = opt.initial_peer_window;
    c->last_heard = now;
    if (shut) c->error = shut;
    Connection* raw = c.get();
    server_by_key[key] = raw;
    conns[c->id] = std::move(c);
    return raw;
}

void Engine::Impl::answer_version(const PeerAddress& from, const Header& h) {
    if (!h.has(flag::client_initiated)) return;  // a reply to someone's request: not ours to answer
    Header r = h;
    r.flags = static_cast<uint8_t>(h.flags & ~flag::client_initiated);
    const auto body = version_body(opt.version);
    auto& b = new_output(from).bytes;
    b.resize(header_size + body.size());
    encode_header(r, std::span<std::byte, header_size>(b.data(), header_size));
    std::memcpy(b.data() + header_size, body.data(), body.size());
    ++stats.packets_sent;
    ++stats.versions_answered;
}

void Engine::on_datagram(const PeerAddress& from, std::span<std::byte> datagram, Clock::time_point now) {
    auto& s = *impl_;
    ++s.stats.datagrams_received;
    auto h = decode_header(datagram);
    if (!h || s.shut) {
        ++s.stats.dropped;
        return;
    }
    const auto body = datagram.subspan(header_size);
    switch (h->type) {
        case PacketType::version:
            s.answer_version(from, *h);
            s.settle(now);
            return;
        case PacketType::debug:
        case PacketType::params1:
        case PacketType::params2:
        case PacketType::params3:
            ++s.stats.dropped;
            return;
        default:
            break;
    }
    Impl::Connection* conn = h->has(flag::client_initiated) ? s.server_connection_for(from, *h, now)
                                                            : s.client_connection_for(*h);
    if (!conn || h->security_index != conn->security_index || h->service_id != conn->service_id) {
        ++s.stats.dropped;
        s.settle(now);
        return;
    }
    conn->last_heard = now;
    switch (h->type) {
        case PacketType::data: {
            std::array<PacketView, max_packets_per_datagram> parts;
            auto n = split_jumbogram(*h, body, parts);
            if (!n) {
                ++s.stats.dropped;
                break;
            }
            if (*n > 1) ++s.stats.jumbograms_received;
            for (size_t i = 0; i < *n; ++i) {
                ++s.stats.packets_received;
                if (conn->client) s.on_data(*conn, parts[i], now);
                else s.on_data_for_server(*conn, parts[i], now);
            }
            break;
        }
        case PacketType::ack:
            ++s.stats.packets_received;
            s.on_ack(*conn, *h, body, now);
            break;
        case PacketType::busy:
            ++s.stats.packets_received;
            s.on_busy(*conn, *h, now);
            break;
        case PacketType::abort: {
            ++s.stats.packets_received;
            ++s.stats.aborts_received;
            auto code = decode_abort_body(body);
            const int32_t c = code ? *code : abort_code::RX_PROTOCOL_ERROR;
            if (h->call_number == 0) {
                s.on_connection_abort(*conn, c, now);
            } else if (Impl::Call* call = s.call_on(*conn, *h)) {
                s.fail_call(*call, abort_error(c), now);
            }
            break;
        }
        case PacketType::ackall:
            ++s.stats.packets_received;
            s.on_ackall(*conn, *h, now);
            break;
        case PacketType::challenge:
            ++s.stats.packets_received;
            s.on_challenge(*conn, *h, body, now);
            break;
        default:  // RESPONSE: we never challenge
            ++s.stats.dropped;
            break;
    }
    s.settle(now);
}

}  // namespace afs::rx
