// Time in the engine: retransmission with backoff, the dead time, keepalive pings,
// delayed ACKs, and the RTT estimator and congestion window underneath.
#include "rx_harness.hpp"

#include "libafs/rx/congestion.hpp"
#include "libafs/rx/rtt.hpp"

using namespace rxtest;

TEST_CASE("RTT estimator: Van Jacobson smoothing, RTO with slack, doubling backoff capped at 60 s") {
    RttEstimator r;
    CHECK(!r.srtt());
    CHECK(r.rto() == 1s);
    r.sample(100ms);
    CHECK(*r.srtt() == 100ms);
    CHECK(r.rttvar() == 50ms);
    CHECK(r.rto() == 100ms + 4 * 50ms + 200ms);
    for (int i = 0; i < 200; ++i) r.sample(10ms);
    CHECK(*r.srtt() < 11ms);
    CHECK(r.rto() >= 220ms);  // min 20 ms + 200 ms slack
    CHECK(r.rto() < 240ms);
    const auto base = r.rto();
    r.back_off();
    CHECK(r.rto() == 2 * base);
    for (int i = 0; i < 40; ++i) r.back_off();
    CHECK(r.rto() == 60s);
    r.sample(10ms);  // a fresh sample ends the backoff
    CHECK(r.rto() < 240ms);
}

TEST_CASE("congestion window: slow start, avoidance, one halving per loss episode, timeout to 1") {
    CongestionWindow w(CongestionOptions{4, 64, 16});
    CHECK(w.window() == 4);
    w.on_acked(4);
    CHECK(w.window() == 8);
    w.on_acked(8);
    CHECK(w.window() == 16);  // ssthresh reached
    w.on_acked(16);
    CHECK(w.window() == 17);  // +1 per window in avoidance
    w.on_fast_retransmit(100);
    CHECK(w.window() == 8);
    CHECK(w.in_recovery());
    w.on_fast_retransmit(120);  // same episode
    CHECK(w.window() == 8);
    w.on_acked(50);
    CHECK(w.window() == 8);  // no growth in recovery
    w.on_progress(101);
    CHECK(!w.in_recovery());
    w.on_timeout();
    CHECK(w.window() == 1);
    CHECK(w.ssthresh() == 4);
    for (int i = 0; i < 1000; ++i) w.on_acked(10);
    CHECK(w.window() == 64);  // never above the maximum
}

TEST_CASE("an unanswered request is retransmitted with doubling timeouts, then the call is dead") {
    auto o = test_options();
    o.keepalive = 100s;  // keep pings out of this picture
    Harness t(o);
    auto conn = t.connect();
    auto call = t.call(conn, text("hello"));
    auto first = t.sent();
    REQUIRE(first.size() == 1);
    std::vector<double> at;
    std::vector<uint32_t> serials{first[0].h.serial};
    const auto start = t.now;
    for (int i = 0; i < 120; ++i) {
        t.advance(100ms);
        for (auto& w : t.sent()) {
            if (!w.is(PacketType::data)) continue;
            CHECK(w.h.seq == 1);
            CHECK(w.h.call_number == 1);
            CHECK(w.h.has(flag::request_ack));  // a retransmission asks for an ACK
            CHECK(w.body == text("hello"));
            at.push_back(std::chrono::duration<double>(t.now - start).count());
            serials.push_back(w.h.serial);
        }
    }
    // RTO 1 s, then 2 s, 4 s: retransmissions at 1, 3, 7 s; the call is dead at 12 s.
    REQUIRE(at.size() == 3);
    CHECK(at[0] == doctest::Approx(1.0).epsilon(0.11));
    CHECK(at[1] == doctest::Approx(3.0).epsilon(0.05));
    CHECK(at[2] == doctest::Approx(7.0).epsilon(0.03));
    for (size_t i = 1; i < serials.size(); ++i) CHECK(serials[i] > serials[i - 1]);  // a new serial each time
    auto st = t.e.status(call);
    CHECK(st.done);
    CHECK(st.error == afs::errc::peer_dead);
    CHECK(t.e.stats().timeouts == 3);
    CHECK(t.e.stats().retransmissions == 3);
}

TEST_CASE("a waiting call pings every dead_time/6, answers keep it alive past the dead time") {
    Harness t;  // dead time 12 s: a ping every 2 s
    auto conn = t.connect(1);
    auto call = t.call(conn, text("slow rpc"));
    auto d = t.sent().at(0);
    // The server has the request (hard ack) but takes a minute to answer.
    t.ack(d.h, 2, {}, d.h.serial);
    t.sent();
    int pings = 0;
    for (int s = 0; s < 60; ++s) {
        t.advance(1s);
        for (auto& w : t.sent()) {
            if (!w.is(PacketType::ack)) continue;
            CHECK(w.ack().reason_code() == AckReason::ping);
            CHECK(w.h.has(flag::request_ack));
            CHECK(w.h.call_number == d.h.call_number);
            ++pings;
            // The server answers the ping: PING_RESPONSE echoing its serial.
            t.ack(d.h, 2, {}, w.h.serial, AckReason::ping_response);
        }
    }
    CHECK(pings >= 25);
    CHECK(pings <= 31);
    CHECK(!t.e.status(call).done);
    auto st = t.e.connection_stats(conn);
    REQUIRE(st.srtt);  // ping round trips gave RTT samples
    t.reply_data(d.h, 1, text("finally"), true);
    CHECK(t.read_all(call) == text("finally"));
    CHECK(t.e.status(call).done);
    CHECK(!t.e.status(call).error);
}

TEST_CASE("delayed ACK: one packet waits 100 ms, two are acknowledged at once, REQUEST_ACK at once") {
    Harness t;
    auto conn = t.connect();
    auto call = t.call(conn, text("q"));
    auto d = t.sent().at(0);
    const auto big = pattern(1416 * 6);
    auto part = [&](uint32_t seq) { return std::span(big).subspan((seq - 1) * 1416, 1416); };
    t.reply_data(d.h, 1, part(1), false);
    CHECK(t.sent().empty());
    t.advance(99ms);
    CHECK(t.sent().empty());
    t.advance(2ms);
    auto late = t.sent();
    REQUIRE(late.size() == 1);
    CHECK(late[0].ack().reason_code() == AckReason::delay);
    CHECK(late[0].ack().first_packet == 2);  // held for the reader: hard-acked
    CHECK(late[0].acks().empty());
    CHECK(late[0].ack().trailer.rwind == 127);  // one slot taken until it is read
    t.reply_data(d.h, 2, part(2), false);
    CHECK(t.sent().empty());
    t.reply_data(d.h, 3, part(3), false);
    auto two = t.sent();
    REQUIRE(two.size() == 1);
    CHECK(two[0].ack().reason_code() == AckReason::idle);
    t.reply_data(d.h, 4, part(4), false, flag::request_ack);
    auto req = t.sent();
    REQUIRE(req.size() == 1);
    CHECK(req[0].ack().reason_code() == AckReason::requested);
    CHECK(req[0].ack().serial == t.peer_serial);
    (void)call;
}

TEST_CASE("the idle timeout aborts a call that makes no progress, pings or not") {
    auto o = test_options();
    o.idle_timeout = 30s;
    Harness t(o);
    auto conn = t.connect(1);
    auto call = t.call(conn, text("stuck"));
    auto d = t.sent().at(0);
    t.ack(d.h, 2, {}, d.h.serial);  // the server has the request, then never answers
    for (int s = 0; s < 29; ++s) {
        t.advance(1s);
        for (auto& w : t.sent())
            if (w.is(PacketType::ack) && w.ack().reason_code() == AckReason::ping)
                t.ack(d.h, 2, {}, w.h.serial, AckReason::ping_response);  // alive, but no data
    }
    CHECK(!t.e.status(call).done);
    t.advance(2s);
    auto st = t.e.status(call);
    CHECK(st.done);
    CHECK(st.error == afs::errc::timed_out);
    auto aborts = of_type(t.sent(), PacketType::abort);
    REQUIRE(aborts.size() == 1);
    CHECK(aborts[0].abort_code() == afs::abort_code::RX_CALL_TIMEOUT);
}
