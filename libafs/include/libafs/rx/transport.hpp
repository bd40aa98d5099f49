// Rx on a UDP socket, with Asio: one socket per Transport (an ephemeral port by
// default), all protocol state in an rx::Engine driven on one strand.
//
//   auto rx = *Transport::create(io.get_executor());
//   auto conn = rx->connect(vlserver_endpoint, 52, null_security());
//   conn->async_call(request_bytes, [](std::error_code ec, std::vector<std::byte> reply) { ... });
//
// Streaming: a Call is a byte stream each way with flow control. async_write completes
// once the engine has taken (copied) all the bytes, waiting for window space as needed,
// so a StoreData64 can pour gigabytes through one call with a bounded queue;
// async_read copies reply data straight from the received packets into the caller's
// buffer (FetchData64). One read and one write may be outstanding per call at a time;
// async_finish ends our side after the writes.
//
// Serving: add_service() registers a handler that gets a Call for each incoming call
// (the fileserver's callbacks arrive on the socket the client calls from); the handler
// reads the request, then writes and finishes the reply, or aborts (RXGEN_OPCODE for an
// opcode it does not know).
//
// Every async_* takes a completion token; handlers run on their associated executor, or
// the transport's strand, never inside the initiating call. Per-operation cancellation
// (asio::bind_cancellation_slot) on a read or write aborts the whole call
// (RX_USER_ABORT) and the operation ends with errc::cancelled. Errors: a peer ABORT is
// afs::abort_error(code); a connection-level abort (a RESPONSE the server rejected) is that
// code for every call on the connection; silence for the dead time is errc::peer_dead.
//
// A Transport lives until close() (its socket loop holds it); dropping the last handle
// to a Connection aborts its unfinished calls, dropping a Call releases it.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <span>
#include <vector>

#include <asio/any_io_executor.hpp>
#include <asio/associated_cancellation_slot.hpp>
#include <asio/associated_executor.hpp>
#include <asio/async_result.hpp>
#include <asio/ip/address.hpp>
#include <asio/ip/udp.hpp>
#include <asio/post.hpp>

#include "libafs/error.hpp"
#include "libafs/rx/engine.hpp"
#include "libafs/rx/security.hpp"

namespace afs::rx {

struct TransportOptions {
    asio::ip::address bind_address = asio::ip::address_v4::any();  // 127.1.0.1, 0.0.0.0, ::...
    uint16_t bind_port = 0;                                        // 0: ephemeral
    EngineOptions engine;
    int socket_buffer_bytes = 4 << 20;   // SO_RCVBUF and SO_SNDBUF asked for (0: system default)
};

struct TransportStats {
    EngineStats engine;
    uint64_t send_errors = 0;     // datagrams the socket refused (dropped: Rx resends)
    uint64_t receive_errors = 0;
};

class Transport;
class Connection;

namespace detail {
struct TransportLoop;
struct CallOps;
}  // namespace detail

// One call, client or server side.
class Call : public std::enable_shared_from_this<Call> {
public:
    ~Call();
    Call(const Call&) = delete;
    Call& operator=(const Call&) = delete;

    // Writes all of `data` (which must stay valid until completion) into the call.
    // void(std::error_code, size_t bytes_taken).
    template <class Token>
    auto async_write(std::span<const std::byte> data, Token&& token) {
        return asio::async_initiate<Token, void(std::error_code, size_t)>(
            [self = shared_from_this()](auto handler, std::span<const std::byte> d) {
                auto h = std::make_shared<decltype(handler)>(std::move(handler));
                auto slot = asio::get_associated_cancellation_slot(*h);
                self->start_write(d, [self, h, slot](std::error_code ec, size_t n) { self->deliver(h, slot, ec, n); },
                                  slot);
            },
            token, data);
    }

    // Ends our side of the call (the request, or a server call's reply). void(std::error_code).
    template <class Token>
    auto async_finish(Token&& token) {
        return asio::async_initiate<Token, void(std::error_code)>(
            [self = shared_from_this()](auto handler) {
                auto h = std::make_shared<decltype(handler)>(std::move(handler));
                self->start_finish([self, h](std::error_code ec) { self->deliver(h, {}, ec); });
            },
            token);
    }

    // Reads what is there, at least one byte, into `buf`. 0 bytes with no error: the end.
    // void(std::error_code, size_t).
    template <class Token>
    auto async_read_some(std::span<std::byte> buf, Token&& token) {
        return read_op(buf, false, std::forward<Token>(token));
    }

    // Fills `buf`, or stops at the end of the peer's data (fewer bytes then).
    // void(std::error_code, size_t).
    template <class Token>
    auto async_read(std::span<std::byte> buf, Token&& token) {
        return read_op(buf, true, std::forward<Token>(token));
    }

    // Ends the call with an ABORT carrying `code`; pending operations end with errc::cancelled.
    void abort(int32_t code);

    // For incoming calls: the service it is for.
    uint16_t service_id() const { return service_id_; }
    asio::any_io_executor get_executor() const;

private:
    friend class Transport;
    friend class Connection;
    friend struct detail::TransportLoop;
    Call(std::shared_ptr<Transport> transport, std::shared_ptr<Connection> conn, uint16_t service_id);

    template <class Token>
    auto read_op(std::span<std::byte> buf, bool fill, Token&& token) {
        return asio::async_initiate<Token, void(std::error_code, size_t)>(
            [self = shared_from_this(), fill](auto handler, std::span<std::byte> b) {
                auto h = std::make_shared<decltype(handler)>(std::move(handler));
                auto slot = asio::get_associated_cancellation_slot(*h);
                self->start_read(b, fill, [self, h, slot](std::error_code ec, size_t n) { self->deliver(h, slot, ec, n); },
                                 slot);
            },
            token, buf);
    }

    template <class H, class... Args>
    void deliver(const std::shared_ptr<H>& h, asio::cancellation_slot slot, Args... args) {
        if (slot.is_connected()) slot.clear();
        auto ex = asio::get_associated_executor(*h, get_executor());
        asio::post(ex, [h, ... a = std::move(args)]() mutable { (*h)(std::move(a)...); });
    }

    void start_write(std::span<const std::byte> data, std::function<void(std::error_code, size_t)> done,
                     asio::cancellation_slot slot);
    void start_finish(std::function<void(std::error_code)> done);
    void start_read(std::span<std::byte> buf, bool fill, std::function<void(std::error_code, size_t)> done,
                    asio::cancellation_slot slot);

    std::shared_ptr<Transport> transport_;
    std::shared_ptr<Connection> conn_;   // keeps a client call's connection open
    uint16_t service_id_ = 0;
    std::unique_ptr<detail::CallOps> ops_;  // touched on the strand only
};

// A client connection: (peer, service, security class). Up to 4 calls run at once,
// more wait for a channel.
class Connection : public std::enable_shared_from_this<Connection> {
public:
    ~Connection();
    Connection(const Connection&) = delete;
    Connection& operator=(const Connection&) = delete;

    // A new call; it starts sending as soon as a channel is free.
    std::shared_ptr<Call> new_call();

    // One whole request, one whole reply. void(std::error_code, std::vector<std::byte>).
    template <class Token>
    auto async_call(std::vector<std::byte> request, Token&& token) {
        return asio::async_initiate<Token, void(std::error_code, std::vector<std::byte>)>(
            [self = shared_from_this()](auto handler, std::vector<std::byte> req) {
                auto h = std::make_shared<decltype(handler)>(std::move(handler));
                self->start_call(std::move(req), [self, h](std::error_code ec, std::vector<std::byte> reply) {
                    auto ex = asio::get_associated_executor(*h, self->get_executor());
                    asio::post(ex, [h, ec, r = std::move(reply)]() mutable { (*h)(ec, std::move(r)); });
                });
            },
            token, std::move(request));
    }

    // void(std::error_code, ConnectionStats).
    template <class Token>
    auto async_stats(Token&& token) {
        return asio::async_initiate<Token, void(std::error_code, ConnectionStats)>(
            [self = shared_from_this()](auto handler) {
                auto h = std::make_shared<decltype(handler)>(std::move(handler));
                self->start_stats([self, h](ConnectionStats st) {
                    auto ex = asio::get_associated_executor(*h, self->get_executor());
                    asio::post(ex, [h, st]() mutable { (*h)(std::error_code{}, st); });
                });
            },
            token);
    }

    const asio::ip::udp::endpoint& peer() const { return peer_; }
    uint16_t service_id() const { return service_id_; }
    asio::any_io_executor get_executor() const;

private:
    friend class Transport;
    friend class Call;
    friend struct detail::TransportLoop;
    Connection(std::shared_ptr<Transport> transport, asio::ip::udp::endpoint peer, uint16_t service_id);
    void start_call(std::vector<std::byte> request, std::function<void(std::error_code, std::vector<std::byte>)> done);
    void start_stats(std::function<void(ConnectionStats)> done);

    std::shared_ptr<Transport> transport_;
    asio::ip::udp::endpoint peer_;
    uint16_t service_id_ = 0;
    ConnectionId id_ = 0;  // set on the strand
};

class Transport : public std::enable_shared_from_this<Transport> {
public:
    using ServiceHandler = std::function<void(std::shared_ptr<Call>)>;

    // Opens and binds the socket. Fails with the socket's error (address in use...).
    static result<std::shared_ptr<Transport>> create(asio::any_io_executor executor, TransportOptions options = {});
    ~Transport();
    Transport(const Transport&) = delete;
    Transport& operator=(const Transport&) = delete;

    asio::ip::udp::endpoint local_endpoint() const { return local_; }
    asio::any_io_executor get_executor() const;  // the strand
    uint32_t epoch() const { return epoch_; }

    std::shared_ptr<Connection> connect(const asio::ip::udp::endpoint& peer, uint16_t service_id,
                                        std::shared_ptr<SecurityClass> security);

    // Serves `service_id`: `handler` runs (on the strand) for each incoming call.
    void add_service(uint16_t service_id, std::shared_ptr<SecurityClass> security, ServiceHandler handler);

    // A snapshot, safe from any thread.
    TransportStats stats() const;

    // Fails every call with errc::not_connected and closes the socket.
    void close();

private:
    friend class Call;
    friend class Connection;
    friend struct detail::TransportLoop;
    struct Impl;
    explicit Transport(asio::any_io_executor executor, TransportOptions options);

    std::unique_ptr<Impl> impl_;
    asio::ip::udp::endpoint local_;
    uint32_t epoch_ = 0;
    mutable std::mutex stats_mutex_;
    TransportStats stats_;
};

}  // namespace afs::rx
