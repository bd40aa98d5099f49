// Two engines, a client and a server, over a simulated network that loses, duplicates,
// delays and reorders datagrams, with a fake clock. Streams of megabytes both ways
// (StoreData64-like requests, FetchData64-like replies) must arrive whole, once, in
// order, with the application writing and reading in pieces under flow control.
#include "rx_harness.hpp"

#include <map>
#include <random>

using namespace rxtest;

namespace {

struct Network {
    struct Options {
        double loss = 0;
        double duplicate = 0;
        Clock::duration latency = 5ms;
        Clock::duration jitter = 0ms;  // uniform extra delay: reorders
        EngineOptions client = test_options();
        EngineOptions server = test_options();
        uint64_t seed = 1;
    };

    explicit Network(Options o)
        : opt(o), now(Clock::time_point{} + 1000s), client(o.client, now), server(server_options(o.server), now),
          rng(o.seed) {
        server.add_service(1, null_security());
    }

    static EngineOptions server_options(EngineOptions o) {
        o.epoch = 0x80000def;
        o.first_cid = 0x2000;
        return o;
    }

    Options opt;
    Clock::time_point now;
    Engine client, server;
    PeerAddress client_addr = PeerAddress::ipv4(0x7f000001, 40000);
    PeerAddress server_addr = PeerAddress::ipv4(0x7f010001, 7000);
    std::mt19937_64 rng;
    std::multimap<Clock::time_point, std::pair<bool, std::vector<std::byte>>> wire;  // to_server?, bytes
    uint64_t datagrams = 0, lost = 0;

    bool chance(double p) { return p > 0 && std::uniform_real_distribution<double>(0, 1)(rng) < p; }

    void carry(Engine& from, bool to_server) {
        while (from.has_output()) {
            auto& d = from.front_output();
            ++datagrams;
            if (chance(opt.loss)) {
                ++lost;
            } else {
                const int copies = chance(opt.duplicate) ? 2 : 1;
                for (int i = 0; i < copies; ++i) {
                    auto delay = opt.latency;
                    if (opt.jitter > 0ms)
                        delay += std::chrono::microseconds(std::uniform_int_distribution<int64_t>(
                            0, std::chrono::duration_cast<std::chrono::microseconds>(opt.jitter).count())(rng));
                    wire.emplace(now + delay, std::make_pair(to_server, d.bytes));
                }
            }
            from.pop_output();
        }
    }

    // Runs the network and timers until `until` or nothing is left to happen.
    // Returns false if time ran out.
    template <class App>
    bool run(App&& app, Clock::duration limit) {
        const auto end = now + limit;
        for (;;) {
            app();
            carry(client, true);
            carry(server, false);
            if (app.finished()) return true;
            Clock::time_point next = Clock::time_point::max();
            if (!wire.empty()) next = wire.begin()->first;
            for (Engine* e : {&client, &server})
                if (auto d = e->next_deadline()) next = std::min(next, *d);
            if (next == Clock::time_point::max() || next > end) return false;
            now = std::max(now, next);
            while (!wire.empty() && wire.begin()->first <= now) {
                auto node = wire.extract(wire.begin());
                auto& [to_server, bytes] = node.mapped();
                if (to_server) server.on_datagram(client_addr, bytes, now);
                else client.on_datagram(server_addr, bytes, now);
            }
            for (Engine* e : {&client, &server})
                if (auto d = e->next_deadline(); d && *d <= now) e->on_timer(now);
        }
    }
};

// A client that streams `request` in pieces, then reads the reply in pieces of `chunk`;
// a server that reads the request in pieces of `chunk`, then streams `reply`.
struct Exchange {
    Exchange(Network& n, std::vector<std::byte> req, std::vector<std::byte> rep)
        : net(n), request(std::move(req)), reply(std::move(rep)) {}
    Network& net;
    std::vector<std::byte> request, reply;
    size_t chunk = 10000;
    ConnectionId conn = 0;
    CallId call = 0, served = 0;
    size_t sent = 0, reply_sent = 0;
    bool finished_request = false, finished_reply = false;
    std::vector<std::byte> got_request, got_reply;
    std::vector<EngineEvent> events;
    bool done = false;
    std::error_code client_error, server_error;
    size_t reads_until_pause = SIZE_MAX;  // server app reads slowly if set
    Clock::time_point server_resume{};
    Clock::duration server_pause{};

    void start() {
        conn = net.client.connect(net.server_addr, 1, null_security(), net.now);
        auto c = net.client.new_call(conn, net.now);
        REQUIRE(c);
        call = *c;
    }

    bool finished() const { return done; }

    void operator()() {
        Engine& cl = net.client;
        Engine& sv = net.server;
        const auto now = net.now;
        // Client: write what the window takes, then finish, then read.
        while (!finished_request && sent < request.size()) {
            auto n = cl.write(call, std::span(request).subspan(sent, std::min(chunk, request.size() - sent)), now);
            if (!n) {
                client_error = n.error();
                done = true;
                return;
            }
            if (*n == 0) break;
            sent += *n;
        }
        if (!finished_request && sent == request.size()) {
            REQUIRE(!cl.finish(call, now));
            finished_request = true;
        }
        std::vector<std::byte> buf(chunk);
        for (;;) {
            auto n = cl.read(call, buf, now);
            if (!n) {
                client_error = n.error();
                done = true;
                return;
            }
            if (*n == 0) break;
            got_reply.insert(got_reply.end(), buf.begin(), buf.begin() + static_cast<ptrdiff_t>(*n));
        }
        if (cl.status(call).end_of_data) done = true;
        // Server: take the incoming call, read the request, stream the reply.
        sv.take_events(events);
        for (auto& e : events)
            if (e.kind == EngineEvent::Kind::incoming_call) served = e.call;
        if (!served) return;
        size_t reads = 0;
        while (now >= server_resume) {
            auto n = sv.read(served, buf, now);
            if (!n) {
                server_error = n.error();
                return;
            }
            if (*n == 0) break;
            got_request.insert(got_request.end(), buf.begin(), buf.begin() + static_cast<ptrdiff_t>(*n));
            if (++reads >= reads_until_pause) {
                server_resume = now + server_pause;
                break;
            }
        }
        if (!sv.status(served).end_of_data) return;
        while (!finished_reply && reply_sent < reply.size()) {
            auto n = sv.write(served, std::span(reply).subspan(reply_sent, std::min(chunk, reply.size() - reply_sent)), now);
            REQUIRE(n);
            if (*n == 0) break;
            reply_sent += *n;
        }
        if (!finished_reply && reply_sent == reply.size()) {
            REQUIRE(!sv.finish(served, now));
            finished_reply = true;
        }
    }
};

}  // namespace

TEST_CASE("a 4 MiB request streams through one call with a window of 32+ packets, no loss") {
    Network::Options o;
    Network net(o);
    Exchange x(net, pattern(4 << 20, 3), text("stored"));
    x.start();
    const auto start = net.now;
    REQUIRE(net.run(x, 120s));
    const double seconds = std::chrono::duration<double>(net.now - start).count();
    CHECK(!x.client_error);
    CHECK(x.got_request == x.request);
    CHECK(x.got_reply == x.reply);
    // 2963 packets over a 10 ms round trip: stop-and-wait would take ~30 s, a 32-packet
    // window under 1 s; slow start costs a few round trips more.
    MESSAGE("4 MiB in " << seconds << " simulated seconds, " << net.datagrams << " datagrams");
    CHECK(seconds < 1.5);
    CHECK(net.client.stats().retransmissions == 0);
    auto cs = net.client.connection_stats(x.conn);
    CHECK(cs.congestion_window >= 32);
}

TEST_CASE("a StoreData-like stream completes under loss, duplication and reordering, every byte once in order") {
    for (uint64_t seed : {1u, 2u, 3u}) {
        CAPTURE(seed);
        Network::Options o;
        o.loss = 0.03;
        o.duplicate = 0.02;
        o.jitter = 4ms;
        o.seed = seed;
        Network net(o);
        Exchange x(net, pattern(2 << 20, static_cast<uint32_t>(seed)), text("ok"));
        x.chunk = 7777;
        x.start();
        REQUIRE(net.run(x, 300s));
        CHECK(!x.client_error);
        CHECK(!x.server_error);
        CHECK(x.got_request.size() == x.request.size());
        CHECK(x.got_request == x.request);
        CHECK(x.got_reply == x.reply);
        auto& st = net.client.stats();
        MESSAGE("lost " << net.lost << "/" << net.datagrams << ", retransmissions " << st.retransmissions
                        << ", fast " << st.fast_retransmits << ", timeouts " << st.timeouts);
        CHECK(st.retransmissions > 0);
        CHECK(st.fast_retransmits > 0);
        CHECK(net.server.stats().duplicates_received > 0);
    }
}

TEST_CASE("a FetchData-like reply streams to a client that reads in small pieces, under loss") {
    Network::Options o;
    o.loss = 0.02;
    o.duplicate = 0.01;
    o.jitter = 3ms;
    o.seed = 9;
    Network net(o);
    Exchange x(net, text("fetch"), pattern(3 << 20, 5));
    x.chunk = 3000;
    x.start();
    REQUIRE(net.run(x, 300s));
    CHECK(!x.client_error);
    CHECK(x.got_reply.size() == x.reply.size());
    CHECK(x.got_reply == x.reply);
    CHECK(net.server.stats().retransmissions > 0);
    CHECK(net.client.stats().calls_succeeded == 1);
    // The server's call ends when our final ACK reaches it (or, if that was lost, the ACK
    // that answers its retransmission).
    struct Drain {
        Exchange& x;
        Network& net;
        bool finished() const { return net.server.status(x.served).done; }
        void operator()() {}
    } drain{x, net};
    REQUIRE(net.run(drain, 30s));
    CHECK(net.server.stats().calls_succeeded == 1);
    CHECK(!net.server.status(x.served).error);
}

TEST_CASE("a slow reader holds the sender back without loss of data (flow control)") {
    Network::Options o;
    o.server.receive_window = 16;
    Network net(o);
    Exchange x(net, pattern(1 << 20, 8), text("ok"));
    x.chunk = 4096;
    x.reads_until_pause = 4;  // the server application reads 16 KiB every 50 ms
    x.server_pause = 50ms;
    x.start();
    REQUIRE(net.run(x, 300s));
    CHECK(x.got_request == x.request);
    // Nothing beyond the window was sent: no drops at the receiver, no retransmissions.
    CHECK(net.server.stats().out_of_window == 0);
    CHECK(net.client.stats().retransmissions == 0);
}

TEST_CASE("jumbograms between two engines when both allow them") {
    Network::Options o;
    o.client.send_jumbograms = true;
    o.server.send_jumbograms = true;
    o.client.jumbo_max = 4;
    o.server.jumbo_max = 4;
    o.loss = 0.01;
    o.seed = 4;
    Network net(o);
    Exchange x(net, pattern(1 << 20, 6), pattern(1 << 20, 7));
    x.start();
    REQUIRE(net.run(x, 300s));
    CHECK(x.got_request == x.request);
    CHECK(x.got_reply == x.reply);
    CHECK(net.client.stats().jumbograms_sent > 100);
    CHECK(net.server.stats().jumbograms_received > 100);
    CHECK(net.server.stats().jumbograms_sent > 100);
    CHECK(net.client.stats().jumbograms_received > 100);
    CHECK(net.client.connection_stats(x.conn).packet_payload == jumbo_buffer_size);
}

TEST_CASE("a server that vanishes mid-stream: the client's call dies after the dead time") {
    Network::Options o;
    Network net(o);
    Exchange x(net, pattern(1 << 20, 2), text("ok"));
    x.start();
    // Let some data flow, then cut the wire for good.
    struct Cut {
        Exchange& x;
        Network& net;
        Clock::time_point at;
        bool finished() const { return x.finished(); }
        void operator()() {
            if (net.now >= at) net.opt.loss = 1.0;
            x();
        }
    } cut{x, net, net.now + 50ms};
    const auto start = net.now;
    REQUIRE(net.run(cut, 60s));
    CHECK(x.client_error == afs::errc::peer_dead);
    const double seconds = std::chrono::duration<double>(net.now - start).count();
    CHECK(seconds == doctest::Approx(12.05).epsilon(0.02));
}
