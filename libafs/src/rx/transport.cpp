// The Asio side of Rx: the socket, the strand, the timer, and the glue between the
// engine's events and the application's pending reads and writes. Every protocol
// decision is the engine's; this file only carries datagrams, time and bytes.
#include "libafs/rx/transport.hpp"

#include <cstdio>
#include <cstdlib>
#include <unordered_map>

#include <asio/bind_executor.hpp>
#include <asio/dispatch.hpp>
#include <asio/socket_base.hpp>
#include <asio/steady_timer.hpp>
#include <asio/strand.hpp>

#include "libafs/rx/ack.hpp"

namespace afs::rx {

namespace detail {

// The state of a Call handle's pending operations; touched on the strand only.
struct CallOps {
    CallId id = 0;
    std::error_code start_error;  // the call could not even be created

    bool writing = false;
    std::span<const std::byte> wdata;
    size_t wdone = 0;
    std::function<void(std::error_code, size_t)> wfn;

    bool finishing = false;
    std::function<void(std::error_code)> ffn;

    bool reading = false;
    bool rfill = false;
    std::span<std::byte> rbuf;
    size_t rdone = 0;
    std::function<void(std::error_code, size_t)> rfn;
};

}  // namespace detail

namespace {

PeerAddress to_peer(const asio::ip::udp::endpoint& ep) {
    const auto a = ep.address();
    if (a.is_v4()) return PeerAddress::ipv4(a.to_v4().to_uint(), ep.port());
    const auto v6 = a.to_v6();
    if (v6.is_v4_mapped()) return PeerAddress::ipv4(asio::ip::make_address_v4(asio::ip::v4_mapped, v6).to_uint(), ep.port());
    PeerAddress p;
    p.v6 = true;
    const auto bytes = v6.to_bytes();
    std::copy(bytes.begin(), bytes.end(), p.ip.begin());
    p.port = ep.port();
    return p;
}

asio::ip::udp::endpoint to_endpoint(const PeerAddress& p, bool socket_v6) {
    if (p.v6) {
        asio::ip::address_v6::bytes_type b;
        std::copy(p.ip.begin(), p.ip.end(), b.begin());
        return {asio::ip::address_v6(b), p.port};
    }
    const asio::ip::address_v4 v4(asio::ip::address_v4::bytes_type{p.ip[0], p.ip[1], p.ip[2], p.ip[3]});
    if (socket_v6) return {asio::ip::make_address_v6(asio::ip::v4_mapped, v4), p.port};
    return {v4, p.port};
}

// NETCP_RX_TRACE=1: one line per datagram on stderr, for debugging against real servers.
void trace(const char* dir, const PeerAddress& peer, std::span<const std::byte> d) {
    static const auto start = Clock::now();
    const double t = std::chrono::duration<double>(Clock::now() - start).count();
    auto h = decode_header(d);
    if (!h) {
        std::fprintf(stderr, "rx %9.6f %s %s undecodable (%zu bytes)\n", t, dir, peer.to_string().c_str(), d.size());
        return;
    }
    std::fprintf(stderr, "rx %9.6f %s %s %-9s epoch=%08x cid=%08x call=%u seq=%u serial=%u flags=%02x sec=%u svc=%u len=%zu",
                 t, dir, peer.to_string().c_str(), std::string(to_string(h->type)).c_str(), h->epoch, h->cid,
                 h->call_number, h->seq, h->serial, h->flags, h->security_index, h->service_id, d.size() - header_size);
    if (h->type == PacketType::ack) {
        if (auto a = decode_ack(d.subspan(header_size))) {
            std::fprintf(stderr, " | reason=%u first=%u serial=%u nacks=%zu", a->reason, a->first_packet, a->serial,
                         a->acks.size());
            if (a->trailer.words)
                std::fprintf(stderr, " mtu=%u if=%u rwind=%u jumbo=%u", a->trailer.max_mtu, a->trailer.if_mtu,
                             a->trailer.rwind, a->trailer.jumbo_max);
        }
    } else if (h->type == PacketType::abort) {
        if (auto c = decode_abort_body(d.subspan(header_size))) std::fprintf(stderr, " | code=%d", *c);
    }
    std::fprintf(stderr, "\n");
}

}  // namespace

struct Transport::Impl {
    Impl(asio::any_io_executor ex, TransportOptions opts)
        : strand(asio::make_strand(ex)),
          socket(strand),
          timer(strand),
          engine(opts.engine, Clock::now()),
          options(std::move(opts)) {}

    asio::strand<asio::any_io_executor> strand;
    asio::ip::udp::socket socket;
    asio::steady_timer timer;
    Engine engine;
    TransportOptions options;
    bool socket_v6 = false;
    std::vector<std::byte> rbuf = std::vector<std::byte>(65536);
    std::vector<EngineEvent> events;
    std::unordered_map<CallId, std::weak_ptr<Call>> calls;
    std::unordered_map<uint16_t, ServiceHandler> handlers;
    bool write_blocked = false;
    bool timer_armed = false;
    Clock::time_point timer_at{};
    bool closed = false;
    bool tracing = std::getenv("NETCP_RX_TRACE") != nullptr;
    uint64_t send_errors = 0, receive_errors = 0;
};

namespace detail {

// Everything here runs on the strand.
struct TransportLoop {
    using Self = std::shared_ptr<Transport>;

    static void wait_readable(const Self& self) {
        auto& s = *self->impl_;
        if (s.closed) return;
        s.socket.async_wait(asio::socket_base::wait_read, asio::bind_executor(s.strand, [self](std::error_code ec) {
                                if (ec || self->impl_->closed) return;
                                on_readable(self);
                            }));
    }

    // Drains what the socket holds (up to a batch, so timers and writes get their turn).
    static void on_readable(const Self& self) {
        auto& s = *self->impl_;
        for (int i = 0; i < 64 && !s.closed; ++i) {
            asio::ip::udp::endpoint from;
            std::error_code ec;
            const size_t n = s.socket.receive_from(asio::buffer(s.rbuf), from, 0, ec);
            if (ec == asio::error::would_block || ec == asio::error::try_again) break;
            if (ec) {
                ++s.receive_errors;  // an ICMP error queued on the socket, say: nothing to read
                continue;
            }
            if (s.tracing) trace("<-", to_peer(from), std::span<const std::byte>(s.rbuf.data(), n));
            s.engine.on_datagram(to_peer(from), std::span<std::byte>(s.rbuf.data(), n), Clock::now());
        }
        after_event(self);
        wait_readable(self);
    }

    static void flush(const Self& self) {
        auto& s = *self->impl_;
        if (s.write_blocked) return;
        while (s.engine.has_output()) {
            OutDatagram& d = s.engine.front_output();
            if (s.closed) {
                s.engine.pop_output();
                continue;
            }
            std::error_code ec;
            s.socket.send_to(asio::buffer(d.bytes), to_endpoint(d.to, s.socket_v6), 0, ec);
            if (ec == asio::error::would_block || ec == asio::error::try_again) {
                // The socket buffer is full: wait until it drains, keep the order.
                s.write_blocked = true;
                s.socket.async_wait(asio::socket_base::wait_write,
                                    asio::bind_executor(s.strand, [self](std::error_code) {
                                        self->impl_->write_blocked = false;
                                        after_event(self);
                                    }));
                return;
            }
            if (ec) ++s.send_errors;  // dropped; Rx resends what matters
            else if (s.tracing) trace("->", d.to, d.bytes);
            s.engine.pop_output();
        }
    }

    static void arm_timer(const Self& self) {
        auto& s = *self->impl_;
        if (s.closed) return;
        const auto next = s.engine.next_deadline();
        if (!next || (s.timer_armed && s.timer_at <= *next)) return;
        s.timer_armed = true;
        s.timer_at = *next;
        s.timer.expires_at(*next);
        s.timer.async_wait([self, at = *next](std::error_code ec) {
            auto& st = *self->impl_;
            if (ec == asio::error::operation_aborted || st.closed || at != st.timer_at) return;
            st.timer_armed = false;
            st.engine.on_timer(Clock::now());
            after_event(self);
        });
    }

    // After anything touched the engine: hand events to the calls, send, re-arm.
    static void snapshot_stats(const Self& self) {
        auto& s = *self->impl_;
        std::lock_guard lock(self->stats_mutex_);
        self->stats_.engine = s.engine.stats();
        self->stats_.send_errors = s.send_errors;
        self->stats_.receive_errors = s.receive_errors;
    }

    static void after_event(const Self& self) {
        auto& s = *self->impl_;
        // Before any completion is handed out: what a caller sees in stats() afterwards
        // includes what led to it.
        snapshot_stats(self);
        for (;;) {
            // A local vector: completions may re-enter after_event. Buffers circulate
            // through s.events so that no batch allocates.
            std::vector<EngineEvent> events = std::move(s.events);
            s.engine.take_events(events);
            if (events.empty()) {
                s.events = std::move(events);
                break;
            }
            for (const EngineEvent& e : events) {
                if (e.kind == EngineEvent::Kind::incoming_call) {
                    incoming(self, e);
                    continue;
                }
                auto it = s.calls.find(e.call);
                if (it == s.calls.end()) continue;
                if (auto call = it->second.lock()) progress(self, *call);
            }
            events.clear();
            if (s.events.capacity() < events.capacity()) s.events = std::move(events);
        }
        flush(self);
        snapshot_stats(self);
        arm_timer(self);
    }

    static void incoming(const Self& self, const EngineEvent& e) {
        auto& s = *self->impl_;
        auto h = s.handlers.find(e.service_id);
        auto call = std::shared_ptr<Call>(new Call(self, nullptr, e.service_id));
        call->ops_->id = e.call;
        s.calls[e.call] = call;
        if (h == s.handlers.end()) {
            s.engine.abort(e.call, abort_code::RXGEN_OPCODE, Clock::now());
            return;
        }
        asio::post(s.strand, [handler = h->second, call]() mutable { handler(std::move(call)); });
    }

    // Moves a call's pending operations forward as far as the engine allows.
    static void progress(const Self& self, Call& call) {
        auto& s = *self->impl_;
        CallOps& o = *call.ops_;
        const auto now = Clock::now();
        if (o.writing) {
            std::error_code ec = o.start_error;
            if (!ec) {
                auto n = s.engine.write(o.id, o.wdata.subspan(o.wdone), now);
                if (n) o.wdone += *n;
                else ec = n.error();
            }
            if (ec || o.wdone == o.wdata.size()) {
                auto fn = std::move(o.wfn);
                o.writing = false;
                fn(ec, o.wdone);
            }
        }
        if (o.finishing && !o.writing) {
            const std::error_code ec = o.start_error ? o.start_error : s.engine.finish(o.id, now);
            auto fn = std::move(o.ffn);
            o.finishing = false;
            fn(ec);
        }
        if (o.reading) {
            std::error_code ec = o.start_error;
            bool complete = o.rbuf.empty();
            if (!ec && !complete) {
                auto n = s.engine.read(o.id, o.rbuf.subspan(o.rdone), now);
                if (!n) {
                    ec = n.error();
                } else {
                    o.rdone += *n;
                    const CallStatus st = s.engine.status(o.id);
                    complete = o.rdone == o.rbuf.size() || (!o.rfill && o.rdone > 0) || st.end_of_data ||
                               (st.done && st.readable == 0);
                }
            }
            if (ec || complete) {
                auto fn = std::move(o.rfn);
                o.reading = false;
                fn(ec, o.rdone);
            }
        }
    }

    static void cancel_on_strand(const Self& self, const std::weak_ptr<Call>& weak) {
        auto call = weak.lock();
        if (!call) return;
        auto& s = *self->impl_;
        s.engine.abort(call->ops_->id, abort_code::RX_USER_ABORT, Clock::now());
        after_event(self);
    }

    static void bind_cancel(const Self& self, Call& call, asio::cancellation_slot slot) {
        if (!slot.is_connected()) return;
        std::weak_ptr<Call> weak = call.weak_from_this();
        slot.assign([self, weak](asio::cancellation_type) {
            asio::post(self->impl_->strand, [self, weak] { cancel_on_strand(self, weak); });
        });
    }
};

}  // namespace detail

using detail::TransportLoop;

// ---- Transport ---------------------------------------------------------------------

Transport::Transport(asio::any_io_executor executor, TransportOptions options)
    : impl_(std::make_unique<Impl>(std::move(executor), std::move(options))) {}

Transport::~Transport() = default;

result<std::shared_ptr<Transport>> Transport::create(asio::any_io_executor executor, TransportOptions options) {
    const auto bind = asio::ip::udp::endpoint(options.bind_address, options.bind_port);
    const int buffers = options.socket_buffer_bytes;
    auto t = std::shared_ptr<Transport>(new Transport(std::move(executor), std::move(options)));
    auto& s = *t->impl_;
    std::error_code ec;
    s.socket.open(bind.protocol(), ec);
    if (!ec) s.socket.bind(bind, ec);
    if (!ec) s.socket.non_blocking(true, ec);
    if (ec) return fail(ec);
    if (buffers > 0) {
        std::error_code ignored;  // a smaller buffer than asked for still works
        s.socket.set_option(asio::socket_base::receive_buffer_size(buffers), ignored);
        s.socket.set_option(asio::socket_base::send_buffer_size(buffers), ignored);
    }
    s.socket_v6 = bind.protocol() == asio::ip::udp::v6();
    t->local_ = s.socket.local_endpoint(ec);
    t->epoch_ = s.engine.epoch();
    asio::dispatch(s.strand, [t] { TransportLoop::wait_readable(t); });
    return t;
}

asio::any_io_executor Transport::get_executor() const { return impl_->strand; }

std::shared_ptr<Connection> Transport::connect(const asio::ip::udp::endpoint& peer, uint16_t service_id,
                                               std::shared_ptr<SecurityClass> security) {
    auto self = shared_from_this();
    auto conn = std::shared_ptr<Connection>(new Connection(self, peer, service_id));
    asio::dispatch(impl_->strand, [self, conn, security = std::move(security)]() mutable {
        conn->id_ = self->impl_->engine.connect(to_peer(conn->peer_), conn->service_id_, std::move(security), Clock::now());
    });
    return conn;
}

void Transport::add_service(uint16_t service_id, std::shared_ptr<SecurityClass> security, ServiceHandler handler) {
    auto self = shared_from_this();
    asio::dispatch(impl_->strand, [self, service_id, security = std::move(security), handler = std::move(handler)]() mutable {
        self->impl_->handlers[service_id] = std::move(handler);
        self->impl_->engine.add_service(service_id, std::move(security));
    });
}

TransportStats Transport::stats() const {
    std::lock_guard lock(stats_mutex_);
    return stats_;
}

void Transport::close() {
    auto self = shared_from_this();
    asio::dispatch(impl_->strand, [self] {
        auto& s = *self->impl_;
        if (s.closed) return;
        s.engine.shutdown(errc::not_connected, Clock::now());
        TransportLoop::after_event(self);  // pending operations end now
        s.closed = true;
        std::error_code ignored;
        s.socket.close(ignored);
        s.timer.cancel();
    });
}

// ---- Connection --------------------------------------------------------------------

Connection::Connection(std::shared_ptr<Transport> transport, asio::ip::udp::endpoint peer, uint16_t service_id)
    : transport_(std::move(transport)), peer_(peer), service_id_(service_id) {}

Connection::~Connection() {
    auto t = transport_;
    const ConnectionId id = id_;
    asio::post(t->impl_->strand, [t, id] {
        t->impl_->engine.close_connection(id, Clock::now());
        TransportLoop::after_event(t);
    });
}

asio::any_io_executor Connection::get_executor() const { return transport_->get_executor(); }

std::shared_ptr<Call> Connection::new_call() {
    auto self = shared_from_this();
    auto call = std::shared_ptr<Call>(new Call(transport_, self, service_id_));
    auto t = transport_;
    asio::dispatch(t->impl_->strand, [t, self, call] {
        auto& s = *t->impl_;
        auto id = s.engine.new_call(self->id_, Clock::now());
        if (!id) {
            call->ops_->start_error = id.error();
            return;
        }
        call->ops_->id = *id;
        s.calls[*id] = call;
        TransportLoop::after_event(t);
    });
    return call;
}

void Connection::start_call(std::vector<std::byte> request,
                            std::function<void(std::error_code, std::vector<std::byte>)> done) {
    struct State {
        std::shared_ptr<Call> call;
        std::vector<std::byte> request, reply;
        std::function<void(std::error_code, std::vector<std::byte>)> done;
        std::function<void()> read_more;
    };
    auto st = std::make_shared<State>();
    st->call = new_call();
    st->request = std::move(request);
    st->done = std::move(done);
    auto finish = [st](std::error_code ec) {
        auto fn = std::move(st->done);
        auto reply = ec ? std::vector<std::byte>{} : std::move(st->reply);
        st->read_more = nullptr;  // breaks the cycle State -> read_more -> State
        st->call.reset();
        fn(ec, std::move(reply));
    };
    st->read_more = [st, finish] {
        const size_t old = st->reply.size();
        st->reply.resize(old + 16384);
        st->call->start_read(std::span<std::byte>(st->reply).subspan(old), false,
                             [st, finish, old](std::error_code ec, size_t n) {
                                 st->reply.resize(old + n);
                                 if (ec || n == 0) return finish(ec);
                                 // Post: a reply already queued would otherwise recurse per chunk.
                                 asio::post(st->call->get_executor(), [st] {
                                     if (st->read_more) st->read_more();
                                 });
                             },
                             {});
    };
    st->call->start_write(st->request,
                          [st, finish](std::error_code ec, size_t) {
                              if (ec) return finish(ec);
                              st->call->start_finish([st, finish](std::error_code ec2) {
                                  if (ec2) return finish(ec2);
                                  st->read_more();
                              });
                          },
                          {});
}

void Connection::start_stats(std::function<void(ConnectionStats)> done) {
    auto self = shared_from_this();
    asio::dispatch(transport_->impl_->strand, [self, done = std::move(done)] {
        done(self->transport_->impl_->engine.connection_stats(self->id_));
    });
}

// ---- Call --------------------------------------------------------------------------

Call::Call(std::shared_ptr<Transport> transport, std::shared_ptr<Connection> conn, uint16_t service_id)
    : transport_(std::move(transport)), conn_(std::move(conn)), service_id_(service_id),
      ops_(std::make_unique<detail::CallOps>()) {}

Call::~Call() {
    auto t = transport_;
    const CallId id = ops_->id;
    if (id == 0) return;
    // The connection handle goes with this lambda, after the release.
    asio::post(t->impl_->strand, [t, id, conn = std::move(conn_)] {
        auto& s = *t->impl_;
        s.calls.erase(id);
        s.engine.release(id, Clock::now());
        TransportLoop::after_event(t);
    });
}

asio::any_io_executor Call::get_executor() const { return transport_->get_executor(); }

void Call::start_write(std::span<const std::byte> data, std::function<void(std::error_code, size_t)> done,
                       asio::cancellation_slot slot) {
    auto self = shared_from_this();
    TransportLoop::bind_cancel(transport_, *this, slot);
    asio::dispatch(transport_->impl_->strand, [self, data, done = std::move(done)]() mutable {
        auto& o = *self->ops_;
        if (o.writing || o.finishing) return done(errc::protocol_violation, 0);  // one write at a time
        o.writing = true;
        o.wdata = data;
        o.wdone = 0;
        o.wfn = std::move(done);
        TransportLoop::progress(self->transport_, *self);
        TransportLoop::after_event(self->transport_);
    });
}

void Call::start_finish(std::function<void(std::error_code)> done) {
    auto self = shared_from_this();
    asio::dispatch(transport_->impl_->strand, [self, done = std::move(done)]() mutable {
        auto& o = *self->ops_;
        if (o.finishing) return done(errc::protocol_violation);
        o.finishing = true;
        o.ffn = std::move(done);
        TransportLoop::progress(self->transport_, *self);
        TransportLoop::after_event(self->transport_);
    });
}

void Call::start_read(std::span<std::byte> buf, bool fill, std::function<void(std::error_code, size_t)> done,
                      asio::cancellation_slot slot) {
    auto self = shared_from_this();
    TransportLoop::bind_cancel(transport_, *this, slot);
    asio::dispatch(transport_->impl_->strand, [self, buf, fill, done = std::move(done)]() mutable {
        auto& o = *self->ops_;
        if (o.reading) return done(errc::protocol_violation, 0);  // one read at a time
        o.reading = true;
        o.rfill = fill;
        o.rbuf = buf;
        o.rdone = 0;
        o.rfn = std::move(done);
        TransportLoop::progress(self->transport_, *self);
        TransportLoop::after_event(self->transport_);
    });
}

void Call::abort(int32_t code) {
    auto self = shared_from_this();
    asio::dispatch(transport_->impl_->strand, [self, code] {
        auto& s = *self->transport_->impl_;
        if (self->ops_->id) s.engine.abort(self->ops_->id, code, Clock::now());
        TransportLoop::after_event(self->transport_);
    });
}

}  // namespace afs::rx
