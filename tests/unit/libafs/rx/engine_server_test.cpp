// Calls a peer makes to a service we serve (an AFS client serves the fileserver's
// callbacks on its own socket): the request in, the reply out, acknowledged.
#include "rx_harness.hpp"

using namespace rxtest;

namespace {

// The fileserver's side of a callback connection to us.
struct Caller {
    Harness& t;
    PeerAddress from = PeerAddress::ipv4(0x7f010001, 7000);
    uint32_t epoch = 0x81234567;
    uint32_t cid = 0x40000000;
    uint32_t serial = 1;

    Header packet(PacketType type, uint32_t call_number, uint32_t seq, uint8_t flags, uint32_t channel = 0) {
        Header h;
        h.epoch = epoch;
        h.cid = cid | channel;
        h.call_number = call_number;
        h.seq = seq;
        h.serial = serial++;
        h.type = type;
        h.flags = static_cast<uint8_t>(flags | flag::client_initiated);
        h.service_id = 1;
        return h;
    }
    void data(uint32_t call_number, uint32_t seq, std::span<const std::byte> body, bool last, uint32_t channel = 0) {
        t.deliver(packet(PacketType::data, call_number, seq, last ? flag::last_packet : 0, channel), body, &from);
    }
    void ack(uint32_t call_number, uint32_t first, uint32_t channel = 0) {
        Ack a;
        a.first_packet = first;
        a.reason = static_cast<uint8_t>(AckReason::requested);
        a.trailer = AckTrailer{1444, 1444, 32, 1, 4};
        std::vector<std::byte> body(ack_body_size(0));
        REQUIRE(encode_ack(a, body));
        t.deliver(packet(PacketType::ack, call_number, 0, 0, channel), body, &from);
    }
};

CallId incoming(Harness& t) {
    for (auto& e : t.take_events())
        if (e.kind == EngineEvent::Kind::incoming_call) return e.call;
    FAIL("no incoming call");
    return 0;
}

}  // namespace

TEST_CASE("a callback call is received, answered, and acknowledged") {
    Harness t;
    t.e.add_service(1, null_security());
    Caller fs{t};
    const auto request = text("\x00\x01\x00\x02");  // TellMeAboutYourself (65538)
    fs.data(1, 1, request, true);
    auto id = incoming(t);
    CHECK(t.e.status(id).readable == 4);
    CHECK(t.read_all(id) == request);
    CHECK(t.e.status(id).end_of_data);
    const auto reply = pattern(3000);
    REQUIRE(*t.e.write(id, reply, t.now) == reply.size());
    REQUIRE(!t.e.finish(id, t.now));
    auto out = of_type(t.sent(), PacketType::data);
    REQUIRE(out.size() == 3);
    for (auto& w : out) {
        CHECK(!w.h.has(flag::client_initiated));  // we are the server of this call
        CHECK(w.h.epoch == fs.epoch);
        CHECK(w.h.connection_id() == fs.cid);
        CHECK(w.h.call_number == 1);
        CHECK(w.to == fs.from);
    }
    CHECK(out[2].h.has(flag::last_packet));
    std::vector<std::byte> got;
    for (auto& w : out) got.insert(got.end(), w.body.begin(), w.body.end());
    CHECK(got == reply);
    CHECK(!t.e.status(id).done);
    fs.ack(1, 4);
    CHECK(t.e.status(id).done);
    CHECK(!t.e.status(id).error);
    t.e.release(id, t.now);
    CHECK(t.e.stats().incoming_calls == 1);
}

TEST_CASE("an unknown opcode is aborted with RXGEN_OPCODE, an unknown service is refused") {
    Harness t;
    t.e.add_service(1, null_security());
    Caller fs{t};
    fs.data(1, 1, text("\x00\x00\x00\xcf"), true);  // GetLock (207): we do not serve it
    auto id = incoming(t);
    t.read_all(id);
    t.e.abort(id, afs::abort_code::RXGEN_OPCODE, t.now);
    auto out = t.sent();
    auto aborts = of_type(out, PacketType::abort);
    REQUIRE(aborts.size() == 1);
    CHECK(aborts[0].abort_code() == -455);
    CHECK(aborts[0].h.call_number == 1);
    CHECK(!aborts[0].h.has(flag::client_initiated));
    // The caller retransmits its request: it hears the ABORT again.
    t.now += 1s;
    fs.data(1, 1, text("\x00\x00\x00\xcf"), true);
    CHECK(of_type(t.sent(), PacketType::abort).size() == 1);

    Caller other{t};
    other.cid = 0x50000000;
    Header h = other.packet(PacketType::data, 1, 1, flag::last_packet);
    h.service_id = 9;  // nobody serves it
    t.deliver(h, text("xxxx"), &other.from);
    auto refused = of_type(t.sent(), PacketType::abort);
    REQUIRE(refused.size() == 1);
    CHECK(refused[0].abort_code() == afs::abort_code::RX_INVALID_OPERATION);
    for (auto& e : t.take_events()) CHECK(e.kind != EngineEvent::Kind::incoming_call);
}

TEST_CASE("a new call on a channel ends the previous one, or gets BUSY while it is still running") {
    Harness t;
    t.e.add_service(1, null_security());
    Caller fs{t};
    fs.data(1, 1, text("ping"), true);
    auto first = incoming(t);
    t.read_all(first);
    // The caller moves on to call 2 while we are still working on call 1: BUSY.
    fs.data(2, 1, text("next"), true);
    auto busy = of_type(t.sent(), PacketType::busy);
    REQUIRE(busy.size() == 1);
    CHECK(busy[0].h.call_number == 2);
    CHECK(t.e.stats().busies_sent == 1);
    // We answer call 1; the caller does not ACK but starts call 2: that ends call 1.
    REQUIRE(!t.e.finish(first, t.now));
    t.sent();
    fs.data(2, 1, text("next"), true);
    CHECK(t.e.status(first).done);
    CHECK(!t.e.status(first).error);
    auto second = incoming(t);
    CHECK(t.read_all(second) == text("next"));
    // Another channel runs independently.
    fs.data(1, 1, text("chan3"), true, 3);
    auto third = incoming(t);
    CHECK(t.read_all(third) == text("chan3"));
    CHECK(t.e.channel_of(third) == std::pair<uint32_t, uint32_t>{3, 1});
}

TEST_CASE("a multi-packet request arriving out of order is reassembled for the handler") {
    Harness t;
    t.e.add_service(1, null_security());
    Caller fs{t};
    const auto req = pattern(3 * 1416 + 7);
    fs.data(1, 2, std::span(req).subspan(1416, 1416), false);
    auto id = incoming(t);  // the call exists from its first packet to arrive
    CHECK(t.e.status(id).readable == 0);
    fs.data(1, 4, std::span(req).subspan(3 * 1416), true);
    fs.data(1, 1, std::span(req).first(1416), false);
    fs.data(1, 3, std::span(req).subspan(2 * 1416, 1416), false);
    CHECK(t.read_all(id) == req);
    CHECK(t.e.status(id).end_of_data);
}

TEST_CASE("a ping on a callback connection is answered without CLIENT_INITIATED") {
    Harness t;
    t.e.add_service(1, null_security());
    Caller fs{t};
    fs.data(1, 1, text("slow"), true);
    incoming(t);
    Ack a;
    a.reason = static_cast<uint8_t>(AckReason::ping);
    std::vector<std::byte> body(ack_body_size(0));
    REQUIRE(encode_ack(a, body));
    Header ping = fs.packet(PacketType::ack, 1, 0, flag::request_ack);
    t.deliver(ping, body, &fs.from);
    auto out = of_type(t.sent(), PacketType::ack);
    REQUIRE(!out.empty());
    CHECK(out.back().ack().reason_code() == AckReason::ping_response);
    CHECK(out.back().ack().serial == ping.serial);
    CHECK(!out.back().h.has(flag::client_initiated));
}
