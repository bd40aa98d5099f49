// Client calls through the sans-I/O engine, against a scripted server: call and
// connection numbering, the reply path and its ACKs, pings, aborts, BUSY, challenges.
#include "rx_harness.hpp"

using namespace rxtest;

TEST_CASE("a one-packet call: request, reply, final ACK") {
    Harness t;
    auto conn = t.connect();
    CHECK((t.e.epoch() & 0x80000000u) != 0);
    CHECK((t.e.epoch() & 0x40000000u) == 0);
    const auto request = text("\x00\x00\x02\x07 root.cell");
    auto call = t.call(conn, request);
    auto out = t.sent();
    REQUIRE(out.size() == 1);
    const Wire& d = out[0];
    CHECK(d.is(PacketType::data));
    CHECK(d.h.epoch == t.e.epoch());
    CHECK(d.h.channel() == 0);
    CHECK(d.h.connection_id() == 0x1000);
    CHECK(d.h.call_number == 1);
    CHECK(d.h.seq == 1);
    CHECK(d.h.serial == 1);
    CHECK(d.h.service_id == 52);
    CHECK(d.h.security_index == 0);
    CHECK(d.h.has(flag::client_initiated));
    CHECK(d.h.has(flag::last_packet));
    CHECK(d.body == request);
    CHECK(d.to == t.server);

    const auto reply = pattern(3000);
    t.reply_data(d.h, 1, std::span(reply).first(1416), false);
    t.reply_data(d.h, 2, std::span(reply).subspan(1416, 1416), false);
    t.reply_data(d.h, 3, std::span(reply).subspan(2832), true);
    auto acks = of_type(t.sent(), PacketType::ack);
    REQUIRE(!acks.empty());
    // The last ACK hard-acks the whole reply at once.
    const Wire& final_ack = acks.back();
    CHECK(final_ack.ack().first_packet == 4);
    CHECK(final_ack.h.call_number == 1);
    CHECK(final_ack.h.has(flag::client_initiated));
    CHECK(final_ack.h.seq == 0);
    CHECK(final_ack.ack().trailer.words == 4);
    CHECK(final_ack.ack().trailer.rwind == 125);  // three packets wait for the reader
    auto ev = t.take_events();
    CHECK(!ev.empty());
    CHECK(t.read_all(call) == reply);
    auto st = t.e.status(call);
    CHECK(st.end_of_data);
    CHECK(st.done);
    CHECK(!st.error);
    CHECK(t.e.stats().calls_succeeded == 1);
    t.e.release(call, t.now);
    CHECK(!t.e.status(call).exists);
    // A late retransmission of the reply is answered with the final ACK again.
    t.now += 1s;
    t.reply_data(d.h, 3, std::span(reply).subspan(2832), true);
    auto again = t.sent();
    REQUIRE(again.size() == 1);
    CHECK(again[0].is(PacketType::ack));
    CHECK(again[0].ack().first_packet == 4);
}

TEST_CASE("four channels per connection, per-channel call numbers, cids step by 4") {
    Harness t;
    auto conn = t.connect();
    std::vector<CallId> calls;
    for (int i = 0; i < 5; ++i) calls.push_back(t.call(conn, text("abcd")));
    auto out = t.sent();
    REQUIRE(out.size() == 4);
    for (uint32_t i = 0; i < 4; ++i) {
        CHECK(out[i].h.channel() == i);
        CHECK(out[i].h.call_number == 1);
    }
    CHECK(!t.e.status(calls[4]).started);
    CHECK(t.e.channel_of(calls[4]) == std::pair<uint32_t, uint32_t>{0, 0});
    // Channel 2's call completes: the waiting call takes channel 2 as call number 2.
    t.reply_data(out[2].h, 1, text("ok"), true);
    t.sent();
    CHECK(t.e.status(calls[4]).started);
    CHECK(t.e.channel_of(calls[4]) == std::pair<uint32_t, uint32_t>{2, 2});
    auto next = t.sent();
    (void)next;

    auto conn2 = t.connect();
    t.call(conn2, text("x"));
    auto o2 = of_type(t.sent(), PacketType::data);
    REQUIRE(o2.size() == 1);
    CHECK(o2[0].h.connection_id() == 0x1004);
}

TEST_CASE("a PING is answered with a PING_RESPONSE on the same call number, echoing its serial") {
    Harness t;
    auto conn = t.connect(1);
    t.call(conn, text("getcaps"));
    auto d = t.sent().at(0);
    // The fileserver's reachability check, before it runs the call.
    t.ack(d.h, 1, {}, 0, AckReason::ping, 32, flag::request_ack);
    const uint32_t ping_serial = t.peer_serial;
    auto out = t.sent();
    REQUIRE(out.size() == 1);
    CHECK(out[0].is(PacketType::ack));
    CHECK(out[0].h.call_number == d.h.call_number);
    CHECK(out[0].h.channel() == d.h.channel());
    CHECK(out[0].ack().reason_code() == AckReason::ping_response);
    CHECK(out[0].ack().serial == ping_serial);
    CHECK(out[0].h.has(flag::client_initiated));
    CHECK(!out[0].h.has(flag::request_ack));
    CHECK(t.e.stats().ping_responses_sent == 1);
    // Another ACK with REQUEST_ACK (not a ping) gets a REQUESTED answer.
    t.ack(d.h, 1, {}, 0, AckReason::delay, 32, flag::request_ack);
    auto out2 = t.sent();
    REQUIRE(out2.size() == 1);
    CHECK(out2[0].ack().reason_code() == AckReason::requested);
}

TEST_CASE("a peer ABORT fails the call with its code, others on the connection go on") {
    Harness t;
    auto conn = t.connect();
    auto a = t.call(conn, text("a"));
    auto b = t.call(conn, text("b"));
    auto out = t.sent();
    t.abort(out[0].h, afs::abort_code::VL_NOENT, out[0].h.call_number);
    auto st = t.e.status(a);
    CHECK(st.done);
    CHECK(st.error == afs::abort_error(afs::abort_code::VL_NOENT));
    CHECK(t.e.read(a, std::span<std::byte>{}, t.now).error() == afs::abort_error(afs::abort_code::VL_NOENT));
    CHECK(!t.e.status(b).done);
    // An ABORT for another call number is not ours.
    t.abort(out[1].h, -1, 7);
    CHECK(!t.e.status(b).done);
}

TEST_CASE("a connection-level ABORT (rejected RESPONSE) fails every call on the connection, and later ones") {
    Harness t;
    auto conn = t.connect();
    auto a = t.call(conn, text("a"));
    auto b = t.call(conn, text("b"));
    auto other = t.call(t.connect(), text("c"));
    auto out = t.sent();
    t.abort(out[0].h, afs::abort_code::RXKADBADTICKET, 0);
    const auto want = afs::abort_error(afs::abort_code::RXKADBADTICKET);
    CHECK(t.e.status(a).error == want);
    CHECK(t.e.status(b).error == want);
    CHECK(!t.e.status(other).done);
    auto c = t.e.new_call(conn, t.now);
    REQUIRE(!c);
    CHECK(c.error() == want);
    CHECK(t.e.connection_stats(conn).error == want);
}

TEST_CASE("our ABORT: sent once with the code, repeated when the peer keeps sending") {
    Harness t;
    auto conn = t.connect();
    auto a = t.call(conn, text("a"));
    auto d = t.sent().at(0);
    t.e.abort(a, -455, t.now);
    auto out = t.sent();
    REQUIRE(out.size() == 1);
    CHECK(out[0].is(PacketType::abort));
    CHECK(out[0].abort_code() == -455);
    CHECK(out[0].h.call_number == 1);
    CHECK(t.e.status(a).error == afs::errc::cancelled);
    t.now += 1s;
    t.reply_data(d.h, 1, text("late"), true);
    auto again = t.sent();
    REQUIRE(again.size() == 1);
    CHECK(again[0].is(PacketType::abort));
    // The next call on that channel has the next number.
    t.e.release(a, t.now);
    t.call(conn, text("b"));
    auto next = of_type(t.sent(), PacketType::data);
    REQUIRE(next.size() == 1);
    CHECK(next[0].h.channel() == 0);
    CHECK(next[0].h.call_number == 2);
}

TEST_CASE("BUSY moves the call to a free channel, or waits and resends") {
    Harness t;
    auto conn = t.connect();
    auto a = t.call(conn, text("request"));
    auto d = t.sent().at(0);
    t.deliver(t.from_server(d.h, PacketType::busy), {});
    auto out = of_type(t.sent(), PacketType::data);
    REQUIRE(out.size() == 1);
    CHECK(out[0].h.channel() == 1);
    CHECK(out[0].h.call_number == 1);
    CHECK(out[0].h.seq == 1);
    CHECK(out[0].body == text("request"));
    CHECK(t.e.channel_of(a) == std::pair<uint32_t, uint32_t>{1, 1});
    CHECK(t.e.stats().busies_received == 1);

    // All channels taken: the call stays and resends later.
    Harness u;
    auto c2 = u.connect();
    std::vector<CallId> calls;
    for (int i = 0; i < 4; ++i) calls.push_back(u.call(c2, text("r")));
    auto all = u.sent();
    u.deliver(u.from_server(all[3].h, PacketType::busy), {});
    CHECK(u.sent().empty());
    u.advance(500ms);
    auto w = of_type(u.sent(), PacketType::data);
    CHECK(w.empty());
    u.advance(1s);
    auto resent = of_type(u.sent(), PacketType::data);
    bool found = false;
    for (auto& r : resent)
        if (r.h.channel() == 3 && r.h.call_number == 1 && r.h.seq == 1) found = true;
    CHECK(found);
    CHECK(!u.e.status(calls[3]).done);
}

namespace {

// A security class that records what Rx asks of it.
struct RecordingSecurity : SecurityClass {
    struct State {
        std::vector<std::array<uint32_t, 4>> responded;
        std::vector<std::vector<std::byte>> challenges;
        std::vector<PacketIdentity> sealed;
    };
    std::shared_ptr<State> state = std::make_shared<State>();
    uint8_t index() const override { return 2; }
    std::string describe() const override { return "recording"; }
    std::unique_ptr<ConnectionSecurity> new_connection(const ConnectionIdentity&) override {
        struct Conn : ConnectionSecurity {
            std::shared_ptr<State> s;
            size_t header_size() const override { return 4; }
            size_t max_user_data(size_t space) const override { return space - 4; }
            afs::result<size_t> seal(const PacketIdentity& p, std::span<std::byte> area, size_t len,
                                     uint16_t& ck) override {
                s->sealed.push_back(p);
                area[0] = std::byte{0xAA};
                ck = static_cast<uint16_t>(p.seq + 1);
                return 4 + len;
            }
            afs::result<Span> unseal(const PacketIdentity&, std::span<std::byte> area, uint16_t) override {
                if (area.size() < 4 || area[0] != std::byte{0xAA}) return afs::fail(afs::errc::security_mismatch);
                return Span{4, area.size() - 4};
            }
            afs::result<std::vector<std::byte>> respond(std::span<const std::byte> ch,
                                                        const std::array<uint32_t, 4>& numbers) override {
                s->challenges.emplace_back(ch.begin(), ch.end());
                s->responded.push_back(numbers);
                return text("RESPONSE-BODY");
            }
        };
        auto c = std::make_unique<Conn>();
        c->s = state;
        return c;
    }
};

}  // namespace

TEST_CASE("a CHALLENGE mid-call is answered through the security class with the call numbers") {
    Harness t;
    auto sec = std::make_shared<RecordingSecurity>();
    auto conn = t.connect(1, sec);
    // Two earlier calls finished on channel 0, one runs on channel 1 now.
    for (int i = 0; i < 2; ++i) {
        auto c = t.call(conn, text("x"));
        auto d = of_type(t.sent(), PacketType::data).at(0);
        t.reply_data(d.h, 1, std::span<const std::byte>(text("\xAA...ok")), true);
        t.read_all(c);
        t.e.release(c, t.now);
        t.sent();
    }
    auto keep0 = t.call(conn, text("on channel 0"));
    auto keep1 = t.call(conn, text("on channel 1"));
    auto data = of_type(t.sent(), PacketType::data);
    REQUIRE(data.size() == 2);
    CHECK(data[0].h.call_number == 3);
    CHECK(data[0].h.security_index == 2);
    CHECK(data[0].h.checksum == 2);  // from seal(): seq 1 + 1
    CHECK(data[0].body.size() == 4 + 12);
    CHECK(sec->state->sealed.back().call_number == 1);  // channel 1's first call

    const auto challenge = text("\x00\x00\x00\x02 challenge!");
    Header ch = t.from_server(data[0].h, PacketType::challenge);
    ch.call_number = 0;
    ch.cid = data[0].h.connection_id();
    t.deliver(ch, challenge);
    auto out = t.sent();
    REQUIRE(out.size() == 1);
    CHECK(out[0].is(PacketType::response));
    CHECK(out[0].h.call_number == 0);
    CHECK(out[0].h.seq == 0);
    CHECK(out[0].h.has(flag::client_initiated));
    CHECK(out[0].h.security_index == 2);
    CHECK(out[0].h.service_id == 1);
    CHECK(out[0].body == text("RESPONSE-BODY"));
    REQUIRE(sec->state->responded.size() == 1);
    CHECK(sec->state->responded[0] == std::array<uint32_t, 4>{3, 1, 0, 0});
    CHECK(sec->state->challenges[0] == challenge);
    CHECK(!t.e.status(keep0).done);
    CHECK(!t.e.status(keep1).done);

    // With no call running, a challenge is ignored.
    Harness idle;
    auto c2 = idle.connect(1, sec);
    (void)c2;
    Header ch2 = ch;
    ch2.cid = 0x1000;
    idle.deliver(ch2, challenge);
    CHECK(idle.sent().empty());
}

TEST_CASE("rxnull cannot answer a challenge: the running calls fail at once") {
    Harness t;
    auto conn = t.connect(1);
    auto a = t.call(conn, text("x"));
    auto d = t.sent().at(0);
    Header ch = t.from_server(d.h, PacketType::challenge);
    ch.call_number = 0;
    t.deliver(ch, text("\x00\x00\x00\x02............"));
    CHECK(t.sent().empty());
    CHECK(t.e.status(a).error == afs::errc::security_mismatch);
}

TEST_CASE("a packet that fails the security check aborts the call") {
    Harness t;
    auto sec = std::make_shared<RecordingSecurity>();
    auto conn = t.connect(1, sec);
    auto a = t.call(conn, text("x"));
    auto d = t.sent().at(0);
    t.reply_data(d.h, 1, text("\x01 forged"), true);
    auto out = t.sent();
    REQUIRE(out.size() == 1);
    CHECK(out[0].is(PacketType::abort));
    CHECK(t.e.status(a).error == afs::errc::security_mismatch);
}

TEST_CASE("packets for nobody, from the wrong epoch or with the wrong security index are dropped") {
    Harness t;
    auto conn = t.connect();
    t.call(conn, text("x"));
    auto d = t.sent().at(0);
    Header h = t.from_server(d.h, PacketType::data, 1, flag::last_packet);
    h.epoch ^= 1;
    t.deliver(h, text("r"));
    h = t.from_server(d.h, PacketType::data, 1, flag::last_packet);
    h.cid += 4;
    t.deliver(h, text("r"));
    h = t.from_server(d.h, PacketType::data, 1, flag::last_packet);
    h.security_index = 2;
    t.deliver(h, text("r"));
    CHECK(t.sent().empty());
    CHECK(t.e.stats().dropped == 3);
    // Garbage of every length does not disturb anything.
    for (size_t n = 0; n < 60; ++n) {
        std::vector<std::byte> junk = pattern(n, static_cast<uint32_t>(n));
        t.e.on_datagram(t.server, junk, t.now);
    }
}

TEST_CASE("VERSION requests are answered, replies to them are not") {
    Harness t;
    Header v;
    v.type = PacketType::version;
    v.flags = flag::client_initiated;
    v.epoch = 42;
    t.deliver(v, {});
    auto out = t.sent();
    REQUIRE(out.size() == 1);
    CHECK(out[0].is(PacketType::version));
    CHECK(!out[0].h.has(flag::client_initiated));
    CHECK(out[0].body.size() == 65);
    CHECK(std::to_integer<char>(out[0].body[0]) == 'n');
    v.flags = 0;
    t.deliver(v, {});
    CHECK(t.sent().empty());
}

TEST_CASE("a connection without a security class refuses calls instead of crashing") {
    Harness t;
    auto conn = t.e.connect(t.server, 52, nullptr, t.now);
    auto c = t.e.new_call(conn, t.now);
    REQUIRE(!c);
    CHECK(c.error() == afs::errc::security_mismatch);
    CHECK(t.e.connection_stats(conn).packet_payload == 0);
    CHECK(t.sent().empty());
}
