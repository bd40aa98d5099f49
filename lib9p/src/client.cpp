// The Asio side of the client: sockets, the reader and writer loops, the timeout tick.
// All protocol decisions are in Session; this file only carries its actions out, on
// one strand, so Session is never touched by two threads at once.
#include "lib9p/client.hpp"

#include <cstring>
#include <future>

#include <asio/bind_executor.hpp>
#include <asio/connect.hpp>
#include <asio/dispatch.hpp>
#include <asio/generic/stream_protocol.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/local/stream_protocol.hpp>
#include <asio/steady_timer.hpp>
#include <asio/strand.hpp>
#include <asio/write.hpp>

#include "lib9p/wire.hpp"

namespace p9 {

using Clock = Session::Clock;

struct Client::Impl {
    Impl(asio::any_io_executor ex, ClientOptions opts)
        : strand(asio::make_strand(ex)),
          socket(strand),
          resolver(strand),
          tick_timer(strand),
          connect_timer(strand),
          options(opts),
          session(Session::Options{opts.max_msize, opts.max_in_flight,
                                   std::chrono::duration_cast<Clock::duration>(opts.request_timeout),
                                   std::chrono::duration_cast<Clock::duration>(opts.flush_timeout)}) {}

    asio::strand<asio::any_io_executor> strand;
    asio::generic::stream_protocol::socket socket;
    asio::ip::tcp::resolver resolver;
    asio::steady_timer tick_timer;
    asio::steady_timer connect_timer;
    ClientOptions options;
    Session session;
    std::vector<std::byte> rbuf;
    size_t rfilled = 0;
    bool writing = false;
    bool ticking = false;
    std::error_code failed;
    std::vector<Session::OutFrame> in_write;  // frames of the write in progress (keep payloads alive)
};

std::shared_ptr<Client> Client::create(asio::any_io_executor executor, ClientOptions options) {
    return std::shared_ptr<Client>(new Client(std::move(executor), options));
}

Client::Client(asio::any_io_executor executor, ClientOptions options)
    : impl_(std::make_unique<Impl>(std::move(executor), options)) {}

Client::~Client() = default;

asio::any_io_executor Client::get_executor() const { return impl_->strand; }

Session::Stats Client::stats() const {
    std::promise<Session::Stats> p;
    auto f = p.get_future();
    if (impl_->strand.running_in_this_thread()) return impl_->session.stats();
    asio::dispatch(impl_->strand, [&] { p.set_value(impl_->session.stats()); });
    return f.get();
}

uint32_t Client::allocate_fid() {
    std::lock_guard lock(fid_mutex_);
    if (!free_fids_.empty()) {
        uint32_t f = free_fids_.back();
        free_fids_.pop_back();
        return f;
    }
    return next_fid_++;
}

void Client::release_fid(uint32_t fid) {
    if (fid == nofid) return;
    std::lock_guard lock(fid_mutex_);
    free_fids_.push_back(fid);
}

namespace {

std::error_code transport_error(const std::error_code& ec) {
    if (ec == asio::error::eof || ec == asio::error::connection_reset || ec == asio::error::broken_pipe ||
        ec == asio::error::connection_aborted)
        return errc::connection_closed;
    return ec;
}

}  // namespace

// Everything below runs on the strand unless it says otherwise.
namespace detail {

struct Loop {
    static void fail(Client& c, Client::Impl& s, std::error_code ec) {
        if (s.failed) return;
        s.failed = ec;
        c.connected_ = false;
        std::error_code ignored;
        s.socket.close(ignored);  // aborts the pending read and write: no further access to buffers
        s.tick_timer.cancel();
        s.connect_timer.cancel();
        s.resolver.cancel();
        s.session.fail_all(ec);
    }

    static void pump_writes(const std::shared_ptr<Client>& self) {
        auto& s = *self->impl_;
        if (s.writing || s.failed || !s.session.has_output() || !self->connected_) return;
        s.in_write = s.session.take_output();
        std::vector<asio::const_buffer> bufs;
        bufs.reserve(s.in_write.size() * 2);
        for (auto& f : s.in_write) {
            bufs.emplace_back(f.head.data(), f.head.size());
            for (auto p : f.payload) bufs.emplace_back(p.data(), p.size());
        }
        s.writing = true;
        asio::async_write(s.socket, bufs, asio::bind_executor(s.strand, [self](std::error_code ec, size_t) {
                              auto& st = *self->impl_;
                              st.writing = false;
                              st.in_write.clear();
                              if (ec) return fail(*self, st, transport_error(ec));
                              pump_writes(self);
                          }));
        arm_tick(self);
    }

    static void read_more(const std::shared_ptr<Client>& self) {
        auto& s = *self->impl_;
        if (s.failed) return;
        if (s.rbuf.size() - s.rfilled < 4096) s.rbuf.resize(std::max<size_t>(s.rbuf.size() * 2, 1 << 16));
        s.socket.async_read_some(
            asio::buffer(s.rbuf.data() + s.rfilled, s.rbuf.size() - s.rfilled),
            asio::bind_executor(s.strand, [self](std::error_code ec, size_t n) {
                auto& st = *self->impl_;
                if (st.failed) return;
                if (ec) return fail(*self, st, transport_error(ec));
                st.rfilled += n;
                if (auto perr = parse_frames(self)) return fail(*self, st, perr);
                pump_writes(self);
                read_more(self);
            }));
    }

    static std::error_code parse_frames(const std::shared_ptr<Client>& self) {
        auto& s = *self->impl_;
        size_t pos = 0;
        const auto now = Clock::now();
        while (s.rfilled - pos >= 4) {
            auto span = std::span<const std::byte>(s.rbuf.data() + pos, s.rfilled - pos);
            auto size = frame_size(span, s.session.msize());
            if (!size) return size.error();
            if (span.size() < *size) {
                if (s.rbuf.size() < *size) s.rbuf.resize(*size);  // grow for a frame larger than the buffer
                break;
            }
            if (auto ec = s.session.on_frame(span.first(*size), now)) return ec;
            pos += *size;
            if (s.failed) return {};
        }
        if (pos > 0) {
            std::memmove(s.rbuf.data(), s.rbuf.data() + pos, s.rfilled - pos);
            s.rfilled -= pos;
        }
        return {};
    }

    // Tries the resolved addresses in order until one accepts.
    static void connect_next(const std::shared_ptr<Client>& self,
                             std::shared_ptr<std::vector<asio::generic::stream_protocol::endpoint>> eps, size_t i,
                             std::error_code last, std::shared_ptr<std::function<void(std::error_code)>> finish,
                             std::function<void()> negotiate) {
        auto& s = *self->impl_;
        const bool timed_out = s.connect_timer.expiry() <= Clock::now();
        if (i >= eps->size() || timed_out) {
            if (timed_out) last = errc::timed_out;
            return (*finish)(last ? last : std::make_error_code(std::errc::host_unreachable));
        }
        std::error_code ignored;
        s.socket.close(ignored);
        auto ep = (*eps)[i];
        s.socket.async_connect(ep, asio::bind_executor(s.strand, [self, eps = std::move(eps), i, finish = std::move(finish),
                                                                  negotiate = std::move(negotiate)](
                                                                     std::error_code ec) mutable {
            if (ec) return connect_next(self, std::move(eps), i + 1, ec, std::move(finish), std::move(negotiate));
            std::error_code ignored2;
            self->impl_->socket.set_option(asio::ip::tcp::no_delay(true), ignored2);
            negotiate();
        }));
    }

    // While requests are pending, wake up regularly to expire deadlines.
    static void arm_tick(const std::shared_ptr<Client>& self) {
        auto& s = *self->impl_;
        if (s.ticking || s.failed || s.session.pending() == 0) return;
        auto shortest = std::chrono::milliseconds::max();
        for (auto d : {s.options.request_timeout, s.options.flush_timeout})
            if (d.count() > 0) shortest = std::min(shortest, d);
        if (shortest == std::chrono::milliseconds::max()) return;
        s.ticking = true;
        auto period = std::clamp<std::chrono::milliseconds>(shortest / 8, std::chrono::milliseconds(10),
                                                             std::chrono::milliseconds(1000));
        s.tick_timer.expires_after(period);
        s.tick_timer.async_wait([self](std::error_code ec) {
            auto& st = *self->impl_;
            st.ticking = false;
            if (ec || st.failed) return;
            if (auto dead = st.session.on_tick(Clock::now())) return fail(*self, st, dead);
            pump_writes(self);
            arm_tick(self);
        });
    }
};

}  // namespace detail

void Client::start(Message request, std::vector<std::span<const std::byte>> gather, RawCompletion done,
                   asio::cancellation_slot slot) {
    auto self = shared_from_this();
    // The id is known only on the strand; a cancellation posted after this call runs after it.
    auto id = std::make_shared<Session::RequestId>(0);
    if (slot.is_connected()) {
        slot.assign([self, id](asio::cancellation_type) {
            asio::post(self->impl_->strand, [self, id] {
                if (*id) self->impl_->session.cancel(*id, errc::cancelled, Clock::now());
                detail::Loop::pump_writes(self);
            });
        });
    }
    asio::dispatch(impl_->strand, [self, id, request = std::move(request), gather = std::move(gather),
                                   done = std::move(done)]() mutable {
        auto& s = *self->impl_;
        if (!self->connected_ && !s.failed && type_of(request) != MsgType::Tversion) {
            return done(errc::not_connected, nullptr);
        }
        *id = s.session.submit(std::move(request), std::move(done), Clock::now(), std::move(gather));
        detail::Loop::pump_writes(self);
    });
}

void Client::close() {
    auto self = shared_from_this();
    asio::dispatch(impl_->strand, [self] { detail::Loop::fail(*self, *self->impl_, errc::not_connected); });
}

void Client::start_connect(Endpoint endpoint, std::function<void(std::error_code)> done) {
    auto self = shared_from_this();
    endpoint_ = endpoint;
    asio::dispatch(impl_->strand, [self, endpoint = std::move(endpoint), done = std::move(done)]() mutable {
        auto& s = *self->impl_;
        auto finish = std::make_shared<std::function<void(std::error_code)>>(std::move(done));

        // After the transport connects: start reading, then negotiate the version.
        auto negotiate = [self, finish]() {
            auto& st = *self->impl_;
            st.connect_timer.cancel();
            self->connected_ = true;
            detail::Loop::read_more(self);
            st.session.submit(
                Tversion{st.options.max_msize, protocol_version},
                [self, finish](std::error_code ec, const Message* m) {
                    auto& st2 = *self->impl_;
                    if (!ec) {
                        const auto& rv = std::get<Rversion>(*m);
                        if (rv.version != protocol_version) ec = errc::version_mismatch;
                        else if (rv.msize < 512 || rv.msize > st2.options.max_msize) ec = errc::msize_too_small;
                        else {
                            st2.session.set_msize(rv.msize);
                            self->msize_ = rv.msize;
                        }
                    } else if (ec == std::errc::io_error) {
                        ec = errc::version_mismatch;  // diod answers EIO to any other version
                    }
                    if (ec) {
                        // Post the failure: fail_all must not run inside the session's completion.
                        asio::post(st2.strand, [self, ec] { detail::Loop::fail(*self, *self->impl_, ec); });
                    }
                    (*finish)(ec);
                },
                Clock::now());
            detail::Loop::pump_writes(self);
        };

        s.connect_timer.expires_after(s.options.connect_timeout);
        s.connect_timer.async_wait([self](std::error_code ec) {
            if (!ec && !self->connected_) {
                std::error_code ignored;
                self->impl_->resolver.cancel();
                self->impl_->socket.close(ignored);
            }
        });

        if (endpoint.is_unix()) {
            asio::local::stream_protocol::endpoint lep(endpoint.socket_path);
            s.socket.async_connect(asio::generic::stream_protocol::endpoint(lep),
                                   asio::bind_executor(s.strand, [self, finish, negotiate](std::error_code ec) {
                                       if (ec) return (*finish)(self->impl_->connect_timer.expiry() <= Clock::now()
                                                                    ? std::error_code(errc::timed_out) : ec);
                                       negotiate();
                                   }));
            return;
        }
        s.resolver.async_resolve(
            endpoint.host, std::to_string(endpoint.port),
            asio::bind_executor(s.strand, [self, finish, negotiate](std::error_code ec,
                                                                     asio::ip::tcp::resolver::results_type res) {
                if (ec) return (*finish)(ec);
                auto eps = std::make_shared<std::vector<asio::generic::stream_protocol::endpoint>>();
                for (const auto& e : res) eps->emplace_back(e.endpoint());
                detail::Loop::connect_next(self, eps, 0, {}, finish, negotiate);
            }));
    });
}

}  // namespace p9
