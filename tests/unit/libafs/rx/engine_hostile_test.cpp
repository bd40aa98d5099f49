// Hostile datagrams at the engine: valid packets with random bytes changed, packets of
// every type with lying fields, floods of new connections. Nothing may crash or read out
// of bounds (the sanitizer build checks), and real calls must still complete afterwards.
#include "rx_harness.hpp"

#include <random>

using namespace rxtest;

namespace {

// Header fields a mutation should hit often: they steer the demultiplexing.
std::vector<std::byte> mutate(std::vector<std::byte> d, std::mt19937& rng) {
    const int edits = 1 + static_cast<int>(rng() % 4);
    for (int i = 0; i < edits && !d.empty(); ++i) {
        switch (rng() % 6) {
            case 0: d[rng() % d.size()] = std::byte(static_cast<uint8_t>(rng())); break;
            case 1: d[20] = std::byte(static_cast<uint8_t>(1 + rng() % 13)); break;       // type
            case 2: d[21] = std::byte(static_cast<uint8_t>(rng())); break;                // flags
            case 3: d[8 + rng() % 8] = std::byte(static_cast<uint8_t>(rng() % 3)); break;  // call / seq
            case 4: d.resize(rng() % (d.size() + 1)); break;
            case 5: d.resize(d.size() + rng() % 3000, std::byte(static_cast<uint8_t>(rng()))); break;
        }
    }
    return d;
}

}  // namespace

TEST_CASE("mutated packets at a client and at a server never break them") {
    std::mt19937 rng(1234);
    Harness t;
    t.e.add_service(1, null_security());
    auto conn = t.connect(1);
    // Live state to aim at: two calls in progress, one with part of its reply.
    auto a = t.call(conn, pattern(5000));
    auto b = t.call(conn, text("b"));
    auto out = t.sent();
    const Header ha = out[0].h, hb = out.back().h;
    t.reply_data(ha, 2, pattern(1416), false);

    // Seeds: what servers and callers send.
    std::vector<std::vector<std::byte>> seeds;
    auto capture = [&](const Header& h, std::span<const std::byte> body) {
        std::vector<std::byte> d(header_size + body.size());
        encode_header(h, std::span<std::byte, header_size>(d.data(), header_size));
        std::copy(body.begin(), body.end(), d.begin() + header_size);
        seeds.push_back(d);
    };
    capture(t.from_server(ha, PacketType::data, 1, 0), pattern(1416));
    capture(t.from_server(hb, PacketType::data, 1, flag::last_packet), text("reply"));
    Ack k;
    std::vector<std::byte> acks(10, std::byte{1});
    k.first_packet = 2;
    k.acks = acks;
    k.trailer = AckTrailer{1444, 1444, 32, 4, 4};
    std::vector<std::byte> ack_body(ack_body_size(acks.size()));
    REQUIRE(encode_ack(k, ack_body));
    capture(t.from_server(ha, PacketType::ack, 0, flag::request_ack), ack_body);
    std::array<std::byte, 4> code;
    encode_abort_body(-1, code);
    capture(t.from_server(ha, PacketType::abort), code);
    capture(t.from_server(ha, PacketType::busy), {});
    capture(t.from_server(ha, PacketType::challenge), pattern(16));
    Header incoming;
    incoming.epoch = 0x81111111;
    incoming.cid = 0x2000;
    incoming.call_number = 1;
    incoming.seq = 1;
    incoming.serial = 1;
    incoming.flags = flag::client_initiated | flag::last_packet;
    incoming.service_id = 1;
    capture(incoming, text("\x00\x00\x00\xce"));
    std::vector<std::byte> jumbo;
    const auto j1 = pattern(jumbo_buffer_size), j2 = pattern(300);
    const std::array<JumboPart, 2> parts{JumboPart{0, 0, j1}, JumboPart{flag::last_packet, 0, j2}};
    REQUIRE(!build_jumbogram(t.from_server(hb, PacketType::data, 1, 0), parts, jumbo));
    seeds.push_back(jumbo);

    std::vector<EngineEvent> ev;
    for (int i = 0; i < 100000; ++i) {
        auto d = mutate(seeds[rng() % seeds.size()], rng);
        t.e.on_datagram(t.server, d, t.now);
        if (i % 1000 == 0) {
            t.now += 10ms;
            t.e.on_timer(t.now);
        }
        t.sent();
        t.e.take_events(ev);
        // Serve what arrives like a real service would: read, then abort.
        for (auto& e : ev)
            if (e.kind == EngineEvent::Kind::incoming_call) {
                std::array<std::byte, 64> buf;
                (void)t.e.read(e.call, buf, t.now);
                t.e.abort(e.call, -455, t.now);
                t.e.release(e.call, t.now);
            }
    }
    (void)a;
    (void)b;
    const auto& st = t.e.stats();
    MESSAGE("received " << st.datagrams_received << ": data " << st.data_packets_received << ", acks "
            << st.acks_received << ", aborts " << st.aborts_received << ", challenges " << st.challenges_received
            << ", jumbograms " << st.jumbograms_received << ", incoming calls " << st.incoming_calls << ", dropped "
            << st.dropped);
    CHECK(st.data_packets_received > 100);
    CHECK(st.jumbograms_received > 1000);
    CHECK(st.acks_received > 1000);
    CHECK(st.incoming_calls > 10);
    // The engine still works: a fresh connection and call complete normally.
    auto fresh = t.e.connect(t.server, 52, null_security(), t.now);
    auto c = t.call(fresh, text("after the storm"));
    auto d = of_type(t.sent(), PacketType::data);
    REQUIRE(d.size() == 1);
    t.reply_data(d[0].h, 1, text("fine"), true);
    CHECK(t.read_all(c) == text("fine"));
    CHECK(t.e.status(c).done);
    CHECK(!t.e.status(c).error);
}

TEST_CASE("a flood of new incoming connections is bounded") {
    auto o = test_options();
    o.max_server_connections = 100;
    Harness t(o);
    t.e.add_service(1, null_security());
    Header h;
    h.epoch = 0x81111111;
    h.call_number = 1;
    h.seq = 1;
    h.flags = flag::client_initiated | flag::last_packet;
    h.service_id = 1;
    int incoming = 0;
    std::vector<EngineEvent> ev;
    for (uint32_t i = 0; i < 5000; ++i) {
        h.cid = i * 4;
        h.serial = 1;
        t.deliver(h, text("\x00\x00\x00\xce"));
        t.e.take_events(ev);
        for (auto& e : ev)
            if (e.kind == EngineEvent::Kind::incoming_call) {
                ++incoming;
                t.e.release(e.call, t.now);  // the service gives up on it at once (an ABORT)
            }
        t.sent();
    }
    CHECK(incoming == 100);
    // Connections with no call left are reaped after server_connection_idle (10 min).
    t.advance(11min);
    t.sent();
    for (uint32_t i = 0; i < 50; ++i) {
        h.cid = (10000 + i) * 4;
        t.deliver(h, text("\x00\x00\x00\xce"));
        t.e.take_events(ev);
        for (auto& e : ev)
            if (e.kind == EngineEvent::Kind::incoming_call) ++incoming;
    }
    CHECK(incoming == 150);
}
