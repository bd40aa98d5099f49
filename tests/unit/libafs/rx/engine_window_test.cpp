// The sending window and loss recovery seen from a scripted receiver, and the receive
// side's reassembly: reordering, duplicates, jumbograms.
#include "rx_harness.hpp"

#include <set>

using namespace rxtest;

namespace {

// Writes `bytes` into the call as far as the engine takes them; returns bytes taken.
size_t write_some(Harness& t, CallId call, std::span<const std::byte> bytes) {
    auto n = t.e.write(call, bytes, t.now);
    REQUIRE(n);
    return *n;
}

}  // namespace

TEST_CASE("the sender keeps within the peer's advertised window, also when it shrinks") {
    Harness t;
    auto conn = t.connect(1);
    auto call = t.e.new_call(conn, t.now);
    REQUIRE(call);
    const auto data = pattern(200 * 1416);
    size_t written = write_some(t, *call, data);
    CHECK(written > 100 * 1416);  // the queue takes a good share before any ACK
    auto first = of_type(t.sent(), PacketType::data);
    // Before any ACK: the initial peer window (16), within the initial congestion window (8).
    REQUIRE(first.size() == 8);
    CHECK(first.back().h.has(flag::request_ack));  // the burst ended at the window
    uint32_t highest = first.back().h.seq;
    // The receiver takes 8 and says its window is 4 now.
    t.ack(first.back().h, 9, {}, first.back().h.serial, AckReason::requested, 4);
    auto more = of_type(t.sent(), PacketType::data);
    REQUIRE(!more.empty());
    for (auto& w : more) CHECK(w.h.seq < 9 + 4);
    highest = more.back().h.seq;
    CHECK(highest == 12);
    // It opens to 64: the sender may go up to first + 64, bounded by its congestion window.
    t.ack(more.back().h, 13, {}, more.back().h.serial, AckReason::requested, 64);
    auto wide = of_type(t.sent(), PacketType::data);
    REQUIRE(!wide.empty());
    CHECK(wide.front().h.seq == 13);
    for (auto& w : wide) CHECK(w.h.seq < 13 + 64);
    CHECK(wide.size() > 4);
}

TEST_CASE("three NACKs from later packets trigger a fast retransmit before any timeout") {
    Harness t;
    auto conn = t.connect(1);
    auto call = t.e.new_call(conn, t.now);
    REQUIRE(call);
    const auto data = pattern(40 * 1416);
    write_some(t, *call, data);
    REQUIRE(!t.e.finish(*call, t.now));
    auto out = of_type(t.sent(), PacketType::data);
    REQUIRE(out.size() == 8);
    // Packet 1 was lost; the receiver reports it missing as 2, 3, 4 arrive.
    uint32_t retransmitted_at = 0;
    for (uint32_t got = 2; got <= 5; ++got) {
        std::vector<uint8_t> acks{0};
        for (uint32_t s = 2; s <= got; ++s) acks.push_back(1);
        t.ack(out[0].h, 1, acks, out[got - 1].h.serial, AckReason::out_of_sequence);
        for (auto& w : of_type(t.sent(), PacketType::data))
            if (w.h.seq == 1 && !retransmitted_at) retransmitted_at = got;
    }
    CHECK(retransmitted_at == 4);  // on the third ACK that shows the hole
    CHECK(t.e.stats().fast_retransmits == 1);
    CHECK(t.e.stats().timeouts == 0);
}

TEST_CASE("a soft-acked packet the receiver later dropped is sent again") {
    Harness t;
    auto conn = t.connect(1);
    auto call = t.e.new_call(conn, t.now);
    write_some(t, *call, pattern(5 * 1416));
    REQUIRE(!t.e.finish(*call, t.now));
    auto out = of_type(t.sent(), PacketType::data);
    REQUIRE(out.size() == 6);  // five full packets and an empty last one
    CHECK(out.back().body.empty());
    CHECK(out.back().h.has(flag::last_packet));
    t.ack(out[0].h, 1, {1, 1, 1, 1, 1, 1}, out[5].h.serial);
    CHECK(of_type(t.sent(), PacketType::data).empty());
    // Now it says it holds everything but packet 3.
    t.ack(out[0].h, 1, {1, 1, 0, 1, 1, 1}, out[5].h.serial);
    auto again = of_type(t.sent(), PacketType::data);
    REQUIRE(again.size() == 1);
    CHECK(again[0].h.seq == 3);
}

TEST_CASE("reply packets reordered and duplicated are delivered once, in order, holes are NACKed") {
    Harness t;
    auto conn = t.connect();
    auto call = t.call(conn, text("fetch"));
    auto d = t.sent().at(0);
    const auto reply = pattern(5 * 1416 - 100);
    auto part = [&](uint32_t seq) {
        const size_t off = (seq - 1) * 1416;
        return std::span(reply).subspan(off, std::min<size_t>(1416, reply.size() - off));
    };
    t.reply_data(d.h, 3, part(3), false);
    auto a1 = t.sent();
    REQUIRE(a1.size() == 1);
    CHECK(a1[0].ack().reason_code() == AckReason::out_of_sequence);
    CHECK(a1[0].ack().first_packet == 1);
    CHECK(a1[0].acks() == std::vector<uint8_t>{0, 0, 1});
    t.reply_data(d.h, 1, part(1), false);
    t.reply_data(d.h, 1, part(1), false);  // duplicate
    auto a2 = t.sent();
    REQUIRE(!a2.empty());
    CHECK(a2.back().ack().reason_code() == AckReason::duplicate);
    CHECK(t.e.status(call).readable == 1416);
    t.reply_data(d.h, 5, part(5), true);
    t.reply_data(d.h, 3, part(3), false);  // duplicate of a held packet
    t.reply_data(d.h, 4, part(4), false);
    CHECK(t.e.status(call).readable == 1416);  // 2 is still missing
    t.reply_data(d.h, 2, part(2), false);
    auto fin = t.sent();
    REQUIRE(!fin.empty());
    CHECK(fin.back().ack().first_packet == 6);  // the whole reply hard-acked at once
    CHECK(t.read_all(call) == reply);
    CHECK(t.e.stats().duplicates_received == 2);
    CHECK(t.e.status(call).done);
}

TEST_CASE("a packet past the last one or a second LAST_PACKET is dropped") {
    Harness t;
    auto conn = t.connect();
    auto call = t.call(conn, text("x"));
    auto d = t.sent().at(0);
    t.reply_data(d.h, 2, text("bb"), true);
    t.reply_data(d.h, 3, text("cc"), false);  // after the last
    t.reply_data(d.h, 1, text("aa"), true);   // a second "last" before it
    CHECK(t.e.stats().dropped == 2);
    t.reply_data(d.h, 1, text("aa"), false);
    CHECK(t.read_all(call) == text("aabb"));
}

TEST_CASE("a jumbogram reply is split and delivered") {
    Harness t;
    auto conn = t.connect();
    auto call = t.call(conn, text("fetch"));
    auto d = t.sent().at(0);
    const auto reply = pattern(2 * jumbo_buffer_size + 500);
    Header first = t.from_server(d.h, PacketType::data, 1, 0);
    const std::array<JumboPart, 3> parts{JumboPart{0, 0, std::span(reply).first(jumbo_buffer_size)},
                                         JumboPart{0, 0, std::span(reply).subspan(jumbo_buffer_size, jumbo_buffer_size)},
                                         JumboPart{flag::last_packet, 0, std::span(reply).subspan(2 * jumbo_buffer_size)}};
    std::vector<std::byte> dgram;
    REQUIRE(!build_jumbogram(first, parts, dgram));
    t.e.on_datagram(t.server, dgram, t.now);
    auto acks = t.sent();
    REQUIRE(acks.size() == 1);  // one ACK for the datagram, not one per packet
    CHECK(acks[0].ack().first_packet == 4);
    CHECK(t.e.stats().jumbograms_received == 1);
    CHECK(t.read_all(call) == reply);
    // A truncated jumbogram is dropped whole.
    auto c2 = t.call(conn, text("again"));
    auto d2 = of_type(t.sent(), PacketType::data).at(0);
    Header f2 = t.from_server(d2.h, PacketType::data, 1, 0);
    REQUIRE(!build_jumbogram(f2, parts, dgram));
    dgram.resize(header_size + jumbo_buffer_size + 2);
    t.e.on_datagram(t.server, dgram, t.now);
    CHECK(t.e.status(c2).readable == 0);
}

TEST_CASE("the advertised receive window bounds what we hold, reading opens it and says so") {
    auto o = test_options();
    o.receive_window = 8;
    Harness t(o);
    auto conn = t.connect();
    auto call = t.call(conn, text("fetch"));
    auto d = t.sent().at(0);
    const auto reply = pattern(20 * 1000);
    for (uint32_t seq = 1; seq <= 10; ++seq)
        t.reply_data(d.h, seq, std::span(reply).subspan((seq - 1) * 1000, 1000), false);
    CHECK(t.e.stats().out_of_window == 2);
    auto acks = t.sent();
    REQUIRE(!acks.empty());
    CHECK(acks.back().ack().reason_code() == AckReason::exceeds_window);
    CHECK(acks.back().ack().first_packet == 9);    // all 8 held: hard-acked
    CHECK(acks.back().ack().trailer.rwind == 0);   // but no room left
    // The application reads 3 packets' worth: not yet half the window, no ACK.
    std::vector<std::byte> buf(3000);
    REQUIRE(*t.e.read(call, buf, t.now) == 3000);
    CHECK(t.sent().empty());
    // One more: half the window is free again, an ACK says so.
    REQUIRE(*t.e.read(call, std::span(buf).first(1000), t.now) == 1000);
    auto update = t.sent();
    REQUIRE(update.size() == 1);
    CHECK(update[0].ack().first_packet == 9);
    CHECK(update[0].ack().trailer.rwind == 4);
}

TEST_CASE("packet size: 1444 until the peer speaks, then the peer's maxMTU bounded by ours") {
    auto o = test_options();
    o.max_packet_size = 8000;
    Harness t(o);
    auto conn = t.connect(1);
    auto call = t.e.new_call(conn, t.now);
    write_some(t, *call, pattern(20000));
    auto first = of_type(t.sent(), PacketType::data);
    REQUIRE(!first.empty());
    CHECK(first[0].body.size() == 1416);
    CHECK(t.e.connection_stats(conn).packet_payload == 1416);
    t.ack(first.back().h, first.back().h.seq + 1, {}, 0, AckReason::requested, 32, 0, 4000);
    CHECK(t.e.connection_stats(conn).peer_max_packet == 4000);
    CHECK(t.e.connection_stats(conn).packet_payload == 4000 - 28);
    write_some(t, *call, pattern(20000));
    bool big = false;
    for (auto& w : of_type(t.sent(), PacketType::data)) {
        CHECK(w.datagram_size <= 4000);
        if (w.body.size() == 4000 - 28) big = true;
    }
    CHECK(big);
    // A peer that says more than we allow gets our maximum; one that says less than Rx's
    // minimum gets the minimum.
    t.ack(first.back().h, first.back().h.seq + 1, {}, 0, AckReason::requested, 32, 0, 65000);
    CHECK(t.e.connection_stats(conn).packet_payload == 8000 - 28);
    t.ack(first.back().h, first.back().h.seq + 1, {}, 0, AckReason::requested, 32, 0, 100);
    CHECK(t.e.connection_stats(conn).packet_payload == 520 - 28);
}
