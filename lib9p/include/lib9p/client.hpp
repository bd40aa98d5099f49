// An asynchronous 9P2000.L client over one connection (TCP or unix socket), on Asio.
//
// Any number of requests may be in flight: each gets its own tag and replies are matched
// out of order (see session.hpp). Every async_* function takes an Asio completion token
// (a callback, asio::use_future, asio::use_awaitable, ...). Handlers run on their
// associated executor, or on the client's executor if they have none, never inside the
// initiating call.
//
// Per-operation cancellation (asio::bind_cancellation_slot) sends a Tflush; the handler
// then gets errc::cancelled, or the real reply if the server answered first. A request
// with no reply within `request_timeout` is flushed the same way and ends with
// errc::timed_out. If the connection fails, every pending request ends with that error.
//
// Fids are numbers allocated by the client: functions that create one (attach, walk,
// xattrwalk) return it, and clunk/remove release it whatever the server answers.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <vector>

#include <asio/any_io_executor.hpp>
#include <asio/associated_cancellation_slot.hpp>
#include <asio/associated_executor.hpp>
#include <asio/async_result.hpp>
#include <asio/cancellation_signal.hpp>
#include <asio/post.hpp>

#include "lib9p/endpoint.hpp"
#include "lib9p/error.hpp"
#include "lib9p/message.hpp"
#include "lib9p/session.hpp"
#include "lib9p/wire.hpp"

namespace p9 {

namespace detail {
struct Loop;
}

struct ClientOptions {
    uint32_t max_msize = 1u << 20;  // proposed in Tversion; the server may answer less
    size_t max_in_flight = 256;     // requests on the wire at once; more wait for a tag
    std::chrono::milliseconds request_timeout{60'000};  // zero: wait forever
    // After a timeout or cancel, how long to wait for the Rflush before declaring the
    // server dead and failing the connection.
    std::chrono::milliseconds flush_timeout{10'000};
    std::chrono::milliseconds connect_timeout{10'000};
};

class Client : public std::enable_shared_from_this<Client> {
public:
    using RawCompletion = Session::Completion;

    static std::shared_ptr<Client> create(asio::any_io_executor executor, ClientOptions options = {});
    ~Client();
    Client(const Client&) = delete;
    Client& operator=(const Client&) = delete;

    // Connects and negotiates 9P2000.L and msize. Signature: void(std::error_code).
    template <class Token>
    auto async_connect(Endpoint endpoint, Token&& token) {
        return asio::async_initiate<Token, void(std::error_code)>(
            [self = shared_from_this()](auto handler, Endpoint ep) {
                auto h = std::make_shared<decltype(handler)>(std::move(handler));
                self->start_connect(std::move(ep), [self, h](std::error_code ec) {
                    self->deliver(h, {}, ec);
                });
            },
            token, std::move(endpoint));
    }

    // Sends one request and delivers its typed reply: void(std::error_code, Reply).
    // For requests whose replies carry payloads (Tread, Treaddir) use async_read and
    // async_readdir, which copy the payload out before the frame is reused.
    template <class Request, class Token>
    auto async_call(Request request, Token&& token) {
        using Reply = reply_of_t<Request>;
        static_assert(!std::is_same_v<Request, Tread> && !std::is_same_v<Request, Treaddir>,
                      "use async_read / async_readdir");
        return asio::async_initiate<Token, void(std::error_code, Reply)>(
            [self = shared_from_this()](auto handler, Request req) {
                self->start_typed<Reply>(Message{std::move(req)}, {}, std::move(handler),
                                         [](const Message& m) { return std::get<Reply>(m); });
            },
            token, std::move(request));
    }

    // Attaches to export `aname` as (uname, n_uname). void(std::error_code, uint32_t fid, Qid).
    // `afid` is an authentication fid from async_auth that proved who the client is, or
    // nofid when the server asks for no authentication.
    template <class Token>
    auto async_attach(std::string aname, std::string uname, uint32_t n_uname, Token&& token) {
        return async_attach(std::move(aname), std::move(uname), n_uname, nofid, std::forward<Token>(token));
    }
    template <class Token>
    auto async_attach(std::string aname, std::string uname, uint32_t n_uname, uint32_t afid, Token&& token) {
        return asio::async_initiate<Token, void(std::error_code, uint32_t, Qid)>(
            [self = shared_from_this()](auto handler, std::string an, std::string un, uint32_t nu, uint32_t af) {
                const uint32_t fid = self->allocate_fid();
                auto h = std::make_shared<decltype(handler)>(std::move(handler));
                self->start(Tattach{fid, af, std::move(un), std::move(an), nu}, {},
                            [self, h, fid](std::error_code ec, const Message* m) {
                                if (ec) self->release_fid(fid);
                                self->deliver(h, slot_of(*h), ec, ec ? nofid : fid,
                                              ec ? Qid{} : std::get<Rattach>(*m).qid);
                            },
                            slot_of(*h));
            },
            token, std::move(aname), std::move(uname), n_uname, afid);
    }

    // Tauth: asks for an authentication fid for (uname, n_uname) on export `aname`. The
    // credential is then written to it (async_write) before it is named in async_attach.
    // A server that requires no authentication refuses (diod answers ENOENT).
    // void(std::error_code, uint32_t afid, Qid aqid).
    template <class Token>
    auto async_auth(std::string aname, std::string uname, uint32_t n_uname, Token&& token) {
        return asio::async_initiate<Token, void(std::error_code, uint32_t, Qid)>(
            [self = shared_from_this()](auto handler, std::string an, std::string un, uint32_t nu) {
                const uint32_t afid = self->allocate_fid();
                auto h = std::make_shared<decltype(handler)>(std::move(handler));
                self->start(Tauth{afid, std::move(un), std::move(an), nu}, {},
                            [self, h, afid](std::error_code ec, const Message* m) {
                                if (ec) self->release_fid(afid);
                                self->deliver(h, slot_of(*h), ec, ec ? nofid : afid,
                                              ec ? Qid{} : std::get<Rauth>(*m).aqid);
                            },
                            slot_of(*h));
            },
            token, std::move(aname), std::move(uname), n_uname);
    }

    // Walks up to 16 names from `fid` to a new fid. A walk that stops early fails with
    // ENOENT and creates no fid. void(std::error_code, uint32_t newfid, std::vector<Qid>).
    template <class Token>
    auto async_walk(uint32_t fid, std::vector<std::string> names, Token&& token) {
        return asio::async_initiate<Token, void(std::error_code, uint32_t, std::vector<Qid>)>(
            [self = shared_from_this()](auto handler, uint32_t from, std::vector<std::string> wn) {
                const uint32_t newfid = self->allocate_fid();
                const size_t wanted = wn.size();
                auto h = std::make_shared<decltype(handler)>(std::move(handler));
                self->start(Twalk{from, newfid, std::move(wn)}, {},
                            [self, h, newfid, wanted](std::error_code ec, const Message* m) {
                                std::vector<Qid> qids;
                                if (!ec) qids = std::get<Rwalk>(*m).wqids;
                                if (!ec && qids.size() != wanted)
                                    ec = std::make_error_code(std::errc::no_such_file_or_directory);
                                if (ec) self->release_fid(newfid);
                                self->deliver(h, slot_of(*h), ec, ec ? nofid : newfid, std::move(qids));
                            },
                            slot_of(*h));
            },
            token, fid, std::move(names));
    }

    // Reads up to buf.size() bytes (at most max_io()) at `offset` into `buf`, which must
    // stay valid until completion. void(std::error_code, size_t bytes); 0 bytes = EOF.
    template <class Token>
    auto async_read(uint32_t fid, uint64_t offset, std::span<std::byte> buf, Token&& token) {
        return asio::async_initiate<Token, void(std::error_code, size_t)>(
            [self = shared_from_this()](auto handler, uint32_t f, uint64_t off, std::span<std::byte> b) {
                auto h = std::make_shared<decltype(handler)>(std::move(handler));
                const auto count = static_cast<uint32_t>(std::min<size_t>(b.size(), self->max_io()));
                self->start(Tread{f, off, count}, {},
                            [self, h, b, count](std::error_code ec, const Message* m) {
                                size_t n = 0;
                                if (!ec) {
                                    auto data = std::get<Rread>(*m).data.view;
                                    if (data.size() > count) {
                                        ec = errc::protocol_violation;
                                    } else {
                                        std::copy(data.begin(), data.end(), b.begin());
                                        n = data.size();
                                    }
                                }
                                self->deliver(h, slot_of(*h), ec, n);
                            },
                            slot_of(*h));
            },
            token, fid, offset, buf);
    }

    // Writes the concatenation of `pieces` (at most max_io() bytes) at `offset` in one
    // Twrite, gathered straight from the pieces, which must stay valid until completion.
    // void(std::error_code, size_t bytes written); a count above the request is an error.
    template <class Token>
    auto async_write(uint32_t fid, uint64_t offset, std::vector<std::span<const std::byte>> pieces,
                     Token&& token) {
        return asio::async_initiate<Token, void(std::error_code, size_t)>(
            [self = shared_from_this()](auto handler, uint32_t f, uint64_t off,
                                        std::vector<std::span<const std::byte>> p) {
                auto h = std::make_shared<decltype(handler)>(std::move(handler));
                size_t total = 0;
                for (auto s : p) total += s.size();
                self->start(Twrite{f, off, {}}, std::move(p),
                            [self, h, total](std::error_code ec, const Message* m) {
                                size_t n = 0;
                                if (!ec) {
                                    n = std::get<Rwrite>(*m).count;
                                    if (n > total) ec = errc::protocol_violation, n = 0;
                                }
                                self->deliver(h, slot_of(*h), ec, n);
                            },
                            slot_of(*h));
            },
            token, fid, offset, std::move(pieces));
    }

    // Reads one batch of directory entries from an opened directory fid, starting at
    // the cookie `offset` (0 first). An empty vector means the end of the directory.
    template <class Token>
    auto async_readdir(uint32_t fid, uint64_t offset, Token&& token) {
        return asio::async_initiate<Token, void(std::error_code, std::vector<Dirent>)>(
            [self = shared_from_this()](auto handler, uint32_t f, uint64_t off) {
                self->start_typed<std::vector<Dirent>>(
                    Treaddir{f, off, self->max_io()}, {}, std::move(handler),
                    [](const Message& m) { return decode_dirents(std::get<Rreaddir>(m).data.view); });
            },
            token, fid, offset);
    }

    // Clunks (or removes) a fid; the fid number is released whatever the outcome.
    template <class Token>
    auto async_clunk(uint32_t fid, Token&& token) {
        return release_call(Tclunk{fid}, fid, std::forward<Token>(token));
    }
    template <class Token>
    auto async_remove(uint32_t fid, Token&& token) {
        return release_call(Tremove{fid}, fid, std::forward<Token>(token));
    }

    // Opens the xattr named `name` (or the list, for "") of `fid` on a new fid for
    // reading. void(std::error_code, uint32_t newfid, uint64_t size).
    template <class Token>
    auto async_xattrwalk(uint32_t fid, std::string name, Token&& token) {
        return asio::async_initiate<Token, void(std::error_code, uint32_t, uint64_t)>(
            [self = shared_from_this()](auto handler, uint32_t f, std::string n) {
                const uint32_t newfid = self->allocate_fid();
                auto h = std::make_shared<decltype(handler)>(std::move(handler));
                self->start(Txattrwalk{f, newfid, std::move(n)}, {},
                            [self, h, newfid](std::error_code ec, const Message* m) {
                                if (ec) self->release_fid(newfid);
                                self->deliver(h, slot_of(*h), ec, ec ? nofid : newfid,
                                              ec ? uint64_t{0} : std::get<Rxattrwalk>(*m).size);
                            },
                            slot_of(*h));
            },
            token, fid, std::move(name));
    }

    // The untyped core, for adapters that build their own requests. `done` runs on the
    // client's strand, and the reply it sees is valid only during the call.
    void start(Message request, std::vector<std::span<const std::byte>> gather, RawCompletion done,
               asio::cancellation_slot slot = {});

    // Closes the connection; pending requests end with errc::not_connected.
    void close();

    uint32_t allocate_fid();
    void release_fid(uint32_t fid);

    uint32_t msize() const { return msize_.load(); }
    // The largest read or write payload: msize minus the I/O header.
    uint32_t max_io() const { return msize() - io_header_size; }
    bool connected() const { return connected_.load(); }
    const Endpoint& endpoint() const { return endpoint_; }
    Session::Stats stats() const;
    asio::any_io_executor get_executor() const;

private:
    friend struct detail::Loop;
    struct Impl;
    Client(asio::any_io_executor executor, ClientOptions options);

    template <class H>
    static asio::cancellation_slot slot_of(H& h) {
        return asio::get_associated_cancellation_slot(h);
    }

    // Runs the user's handler with `args` on its associated executor, never inline.
    template <class H, class... Args>
    void deliver(const std::shared_ptr<H>& h, asio::cancellation_slot slot, Args... args) {
        if (slot.is_connected()) slot.clear();
        auto ex = asio::get_associated_executor(*h, get_executor());
        asio::post(ex, [h, ... a = std::move(args)]() mutable { (*h)(std::move(a)...); });
    }

    template <class Value, class Handler, class Convert>
    void start_typed(Message request, std::vector<std::span<const std::byte>> gather, Handler handler,
                     Convert convert) {
        auto h = std::make_shared<Handler>(std::move(handler));
        auto slot = slot_of(*h);
        start(std::move(request), std::move(gather),
              [self = shared_from_this(), h, slot, convert](std::error_code ec, const Message* m) {
                  Value v{};
                  if (!ec) {
                      if constexpr (requires { convert(*m).has_value(); }) {
                          auto r = convert(*m);
                          if (r) v = std::move(*r);
                          else ec = r.error();
                      } else {
                          v = convert(*m);
                      }
                  }
                  self->deliver(h, slot, ec, std::move(v));
              },
              slot);
    }

    template <class Request, class Token>
    auto release_call(Request req, uint32_t fid, Token&& token) {
        return asio::async_initiate<Token, void(std::error_code)>(
            [self = shared_from_this()](auto handler, Request r, uint32_t f) {
                auto h = std::make_shared<decltype(handler)>(std::move(handler));
                self->start(Message{std::move(r)}, {},
                            [self, h, f](std::error_code ec, const Message*) {
                                self->release_fid(f);
                                self->deliver(h, slot_of(*h), ec);
                            },
                            slot_of(*h));
            },
            token, std::move(req), fid);
    }

    void start_connect(Endpoint endpoint, std::function<void(std::error_code)> done);

    std::unique_ptr<Impl> impl_;
    Endpoint endpoint_;
    std::atomic<uint32_t> msize_{0};
    std::atomic<bool> connected_{false};
    std::mutex fid_mutex_;
    uint32_t next_fid_ = 1;
    std::vector<uint32_t> free_fids_;
};

}  // namespace p9
