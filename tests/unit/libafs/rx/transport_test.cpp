// The Asio transport end to end inside one process: two Transports on 127.0.0.1, one
// serving, one calling, with the io_context on two threads (the ThreadSanitizer build
// checks the strand discipline). No external server is involved.
#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <future>
#include <thread>

#include <asio/bind_cancellation_slot.hpp>
#include <asio/cancellation_signal.hpp>
#include <asio/executor_work_guard.hpp>
#include <asio/io_context.hpp>
#include <asio/use_future.hpp>

#include "libafs/rx/null_security.hpp"
#include "libafs/rx/transport.hpp"

using namespace afs;
using namespace afs::rx;
using namespace std::chrono_literals;

namespace {

struct Loop {
    asio::io_context io;
    asio::executor_work_guard<asio::io_context::executor_type> work = asio::make_work_guard(io);
    std::thread a{[this] { io.run(); }};
    std::thread b{[this] { io.run(); }};
    ~Loop() {
        work.reset();
        io.stop();
        a.join();
        b.join();
    }
};

uint32_t get32(std::span<const std::byte> v, size_t at) {
    uint32_t x = 0;
    for (size_t i = 0; i < 4; ++i) x = (x << 8) | std::to_integer<uint32_t>(v[at + i]);
    return x;
}

void put64(std::vector<std::byte>& v, uint64_t x) {
    for (int i = 7; i >= 0; --i) v.push_back(std::byte(static_cast<uint8_t>(x >> (8 * i))));
}

uint64_t get64(std::span<const std::byte> v, size_t at) {
    return (uint64_t{get32(v, at)} << 32) | get32(v, at + 4);
}

// The byte at offset i of the test streams.
std::byte stream_byte(uint64_t i) { return std::byte(static_cast<uint8_t>((i * 2654435761u) >> 13)); }

std::shared_ptr<Transport> bind_local(Loop& loop, TransportOptions o = {}) {
    o.bind_address = asio::ip::make_address("127.0.0.1");
    auto t = Transport::create(loop.io.get_executor(), o);
    REQUIRE(t);
    return *t;
}

// A test service. Opcodes: 1 echo; 2 "store": count and check streamed bytes, answer the
// count; 3 "fetch": send back N stream bytes; 4 never answer. Others: RXGEN_OPCODE.
struct TestService {
    std::atomic<int> calls{0};
    std::atomic<int> aborted{0};

    void serve(std::shared_ptr<Call> call) {
        ++calls;
        auto head = std::make_shared<std::array<std::byte, 12>>();
        call->async_read(std::span<std::byte>(*head), [this, call, head](std::error_code ec, size_t n) {
            if (ec || n < 4) return call->abort(abort_code::RXGEN_SS_UNMARSHAL);
            switch (get32(*head, 0)) {
                case 1: {
                    auto reply = std::make_shared<std::vector<std::byte>>(head->begin(), head->begin() + static_cast<ptrdiff_t>(n));
                    return read_rest(call, reply, [call, reply] {
                        call->async_write(std::span<const std::byte>(*reply),
                                          [call, reply](std::error_code, size_t) { call->async_finish([call](std::error_code) {}); });
                    });
                }
                case 2: {
                    // The header read took the stream's first bytes too.
                    for (size_t i = 4; i < n; ++i)
                        if ((*head)[i] != stream_byte(i - 4)) return call->abort(12345);
                    return store(call, std::make_shared<std::vector<std::byte>>(256 << 10), n - 4);
                }
                case 3: return fetch(call, get64(*head, 4));
                case 4: return wait_for_abort(call);
                default: return call->abort(abort_code::RXGEN_OPCODE);
            }
        });
    }

    void read_rest(std::shared_ptr<Call> call, std::shared_ptr<std::vector<std::byte>> into, std::function<void()> then) {
        auto buf = std::make_shared<std::array<std::byte, 4096>>();
        call->async_read_some(std::span<std::byte>(*buf), [this, call, into, then, buf](std::error_code ec, size_t n) {
            if (ec) return;
            if (n == 0) return then();
            into->insert(into->end(), buf->begin(), buf->begin() + static_cast<ptrdiff_t>(n));
            read_rest(call, into, then);
        });
    }

    // Counts the bytes after the opcode and checks each against the stream pattern.
    void store(std::shared_ptr<Call> call, std::shared_ptr<std::vector<std::byte>> buf, uint64_t total) {
        call->async_read(std::span<std::byte>(*buf), [this, call, buf, total](std::error_code ec, size_t n) {
            if (ec) return;
            uint64_t bad = 0;
            for (size_t i = 0; i < n; ++i)
                if ((*buf)[i] != stream_byte(total + i)) ++bad;
            if (bad) return call->abort(12345);
            if (n == buf->size()) return store(call, buf, total + n);
            auto reply = std::make_shared<std::vector<std::byte>>();
            put64(*reply, total + n);
            call->async_write(std::span<const std::byte>(*reply),
                              [call, reply](std::error_code, size_t) { call->async_finish([call](std::error_code) {}); });
        });
    }

    void fetch(std::shared_ptr<Call> call, uint64_t size) {
        struct State {
            std::vector<std::byte> chunk = std::vector<std::byte>(1 << 20);
            uint64_t sent = 0;
        };
        auto st = std::make_shared<State>();
        auto step = std::make_shared<std::function<void()>>();
        *step = [call, st, size, step] {
            if (st->sent == size) {
                call->async_finish([call](std::error_code) {});
                *step = nullptr;  // last: this destroys the running lambda's captures
                return;
            }
            const size_t n = static_cast<size_t>(std::min<uint64_t>(st->chunk.size(), size - st->sent));
            for (size_t i = 0; i < n; ++i) st->chunk[i] = stream_byte(st->sent + i);
            call->async_write(std::span<const std::byte>(st->chunk.data(), n), [st, step, n](std::error_code ec, size_t) {
                if (ec) return void(*step = nullptr);
                st->sent += n;
                (*step)();
            });
        };
        (*step)();
    }

    void wait_for_abort(std::shared_ptr<Call> call) {
        auto buf = std::make_shared<std::array<std::byte, 16>>();
        call->async_read(std::span<std::byte>(*buf), [this, call, buf](std::error_code ec, size_t) {
            if (ec) {
                ++aborted;
                return;
            }
            wait_for_abort(call);  // end of request: keep the call open, answer nothing
        });
    }
};

struct Pair {
    Loop loop;
    TestService service;
    TransportOptions options;
    std::shared_ptr<Transport> server;
    std::shared_ptr<Transport> client;
    std::shared_ptr<Connection> conn;

    explicit Pair(TransportOptions o = {}, uint16_t service_id = 1)
        : options(o), server(bind_local(loop, o)), client(bind_local(loop, o)) {
        server->add_service(service_id, null_security(), [this](std::shared_ptr<Call> c) { service.serve(std::move(c)); });
        conn = client->connect(server->local_endpoint(), service_id, null_security());
    }
    ~Pair() {
        conn.reset();
        client->close();
        server->close();
    }
};

std::vector<std::byte> op(uint32_t code, std::initializer_list<uint64_t> args = {}) {
    std::vector<std::byte> v;
    for (int i = 3; i >= 0; --i) v.push_back(std::byte(static_cast<uint8_t>(code >> (8 * i))));
    for (uint64_t a : args) put64(v, a);
    return v;
}

}  // namespace

TEST_CASE("transport: a call and its reply over loopback UDP, an unknown opcode aborts") {
    Pair p;
    CHECK(p.client->local_endpoint().port() != 0);
    auto request = op(1, {42, 43});
    auto reply = p.conn->async_call(request, asio::use_future).get();
    CHECK(reply == request);
    std::error_code ec;
    try {
        p.conn->async_call(op(77), asio::use_future).get();
    } catch (const std::system_error& e) {
        ec = e.code();
    }
    CHECK(ec == abort_error(abort_code::RXGEN_OPCODE));
    auto st = p.client->stats();
    CHECK(st.engine.calls_succeeded == 1);
    CHECK(st.engine.calls_failed == 1);
    CHECK(p.service.calls == 2);
}

TEST_CASE("transport: 100 calls at once on one connection (4 channels)") {
    Pair p;
    std::vector<std::future<std::vector<std::byte>>> futures;
    for (uint64_t i = 0; i < 100; ++i) futures.push_back(p.conn->async_call(op(1, {i}), asio::use_future));
    for (uint64_t i = 0; i < 100; ++i) CHECK(get64(futures[i].get(), 4) == i);
}

TEST_CASE("transport: a 64 MiB request streamed through one call (StoreData64-like)") {
    Pair p;
    auto call = p.conn->new_call();
    const uint64_t total = 64ull << 20;
    std::vector<std::byte> chunk(1 << 20);
    const auto start = std::chrono::steady_clock::now();
    CHECK(call->async_write(op(2), asio::use_future).get() == 4);
    for (uint64_t off = 0; off < total; off += chunk.size()) {
        for (size_t i = 0; i < chunk.size(); ++i) chunk[i] = stream_byte(off + i);
        CHECK(call->async_write(std::span<const std::byte>(chunk), asio::use_future).get() == chunk.size());
    }
    call->async_finish(asio::use_future).get();
    std::array<std::byte, 16> reply{};
    const size_t n = call->async_read(std::span<std::byte>(reply), asio::use_future).get();
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    REQUIRE(n == 8);
    CHECK(get64(reply, 0) == total);
    auto st = p.client->stats().engine;
    MESSAGE("64 MiB stored in " << seconds << " s (" << 64 / seconds << " MiB/s), " << st.data_packets_sent
                                << " DATA packets, " << st.retransmissions << " retransmitted");
    auto cs = p.conn->async_stats(asio::use_future).get();
    CHECK(cs.peer_window <= 128);  // what the receiver had free at its last ACK
}

TEST_CASE("transport: a 64 MiB reply read into caller buffers (FetchData64-like)") {
    Pair p;
    auto call = p.conn->new_call();
    const uint64_t total = 64ull << 20;
    const auto start = std::chrono::steady_clock::now();
    call->async_write(op(3, {total}), asio::use_future).get();
    call->async_finish(asio::use_future).get();
    std::vector<std::byte> buf(1 << 20);
    uint64_t got = 0, bad = 0;
    for (;;) {
        const size_t n = call->async_read(std::span<std::byte>(buf), asio::use_future).get();
        for (size_t i = 0; i < n; ++i)
            if (buf[i] != stream_byte(got + i)) ++bad;
        got += n;
        if (n < buf.size()) break;
    }
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    CHECK(got == total);
    CHECK(bad == 0);
    MESSAGE("64 MiB fetched in " << seconds << " s (" << 64 / seconds << " MiB/s)");
    CHECK(call->async_read(std::span<std::byte>(buf), asio::use_future).get() == 0);  // stays at the end
}

TEST_CASE("transport: cancelling a read aborts the call at both ends") {
    Pair p;
    auto call = p.conn->new_call();
    call->async_write(op(4), asio::use_future).get();
    call->async_finish(asio::use_future).get();
    asio::cancellation_signal cancel;
    std::promise<std::error_code> done;
    std::array<std::byte, 8> buf{};
    call->async_read(std::span<std::byte>(buf),
                     asio::bind_cancellation_slot(cancel.slot(), [&](std::error_code ec, size_t) { done.set_value(ec); }));
    std::this_thread::sleep_for(50ms);
    asio::post(call->get_executor(), [&] { cancel.emit(asio::cancellation_type::terminal); });
    CHECK(done.get_future().get() == errc::cancelled);
    for (int i = 0; i < 200 && p.service.aborted == 0; ++i) std::this_thread::sleep_for(5ms);
    CHECK(p.service.aborted == 1);
}

TEST_CASE("transport: no server: the call fails after the dead time, close fails pending calls") {
    Loop loop;
    TransportOptions o;
    o.engine.dead_time = 600ms;
    auto client = bind_local(loop, o);
    // A bound socket nobody reads from: packets vanish.
    asio::ip::udp::socket sink(loop.io, asio::ip::udp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
    auto conn = client->connect(sink.local_endpoint(), 52, null_security());
    // The call's error as a value: asio::use_future would carry it as an exception_ptr,
    // whose reference count (in uninstrumented libstdc++) TSan reports as a race.
    auto call_error = [&] {
        auto done = std::make_shared<std::promise<std::error_code>>();
        auto result = done->get_future();
        conn->async_call(op(1), [done](std::error_code ec, std::vector<std::byte>) { done->set_value(ec); });
        return result;
    };
    const auto start = std::chrono::steady_clock::now();
    CHECK(call_error().get() == errc::peer_dead);
    CHECK(std::chrono::steady_clock::now() - start >= 550ms);

    auto pending = call_error();
    std::this_thread::sleep_for(20ms);
    client->close();
    CHECK(pending.get() == errc::not_connected);
}

TEST_CASE("transport: IPv6 loopback, when the machine has it") {
    Loop loop;
    TransportOptions o;
    o.bind_address = asio::ip::make_address("::1");
    auto server = Transport::create(loop.io.get_executor(), o);
    auto client = Transport::create(loop.io.get_executor(), o);
    if (!server || !client) {
        MESSAGE("no IPv6 loopback here: " << (server ? client.error() : server.error()).message());
        return;
    }
    TestService service;
    (*server)->add_service(1, null_security(), [&](std::shared_ptr<Call> c) { service.serve(std::move(c)); });
    auto conn = (*client)->connect((*server)->local_endpoint(), 1, null_security());
    auto request = op(1, {7});
    CHECK(conn->async_call(request, asio::use_future).get() == request);
    conn.reset();
    (*client)->close();
    (*server)->close();
}

TEST_CASE("transport: jumbograms when both ends allow them, 64 MiB each way") {
    TransportOptions o;
    o.engine.send_jumbograms = true;
    o.engine.jumbo_max = 6;
    Pair p(o);
    const uint64_t total = 64ull << 20;
    auto call = p.conn->new_call();
    call->async_write(op(3, {total}), asio::use_future).get();
    call->async_finish(asio::use_future).get();
    std::vector<std::byte> buf(1 << 20);
    uint64_t got = 0, bad = 0;
    const auto start = std::chrono::steady_clock::now();
    for (;;) {
        const size_t n = call->async_read(std::span<std::byte>(buf), asio::use_future).get();
        for (size_t i = 0; i < n; ++i)
            if (buf[i] != stream_byte(got + i)) ++bad;
        got += n;
        if (n < buf.size()) break;
    }
    const double fetch_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    CHECK(got == total);
    CHECK(bad == 0);
    auto st = p.server->stats().engine;
    CHECK(st.jumbograms_sent > 1000);
    CHECK(p.client->stats().engine.jumbograms_received > 1000);
    MESSAGE("fetch with jumbograms: " << 64 / fetch_s << " MiB/s, " << st.data_packets_sent << " packets in "
                                      << st.datagrams_sent << " datagrams");
}
