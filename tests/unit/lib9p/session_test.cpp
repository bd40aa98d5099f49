// The multiplexer, driven by hand: no sockets, no sleeps, a fake clock.
#include <doctest/doctest.h>

#include <map>
#include <set>

#include "lib9p/session.hpp"
#include "lib9p/wire.hpp"

using namespace p9;
using namespace std::chrono_literals;

namespace {

using Clock = Session::Clock;

struct Outcome {
    int calls = 0;
    std::error_code ec;
    std::optional<Message> reply;  // only messages without payload views are kept
};

struct Harness {
    explicit Harness(Session::Options o = {}) : s(o) {}
    Session s;
    Clock::time_point now{};
    std::map<int, Outcome> out;

    Session::RequestId submit(int key, Message m, std::vector<std::span<const std::byte>> gather = {}) {
        return s.submit(std::move(m), [this, key](std::error_code ec, const Message* r) {
            auto& o = out[key];
            ++o.calls;
            o.ec = ec;
            if (r && !std::holds_alternative<Rread>(*r)) o.reply = *r;
        }, now, std::move(gather));
    }
    // Decodes what the session wants sent.
    std::vector<Frame> sent() {
        std::vector<Frame> frames;
        for (auto& f : s.take_output()) {
            std::vector<std::byte> whole = f.head;
            for (auto p : f.payload) whole.insert(whole.end(), p.begin(), p.end());
            auto d = decode(whole);
            REQUIRE(d);
            frames.push_back(*d);
        }
        return frames;
    }
    void reply(uint16_t tag, const Message& m) { REQUIRE(!s.on_frame(*encode(tag, m), now)); }
};

}  // namespace

TEST_CASE("requests get distinct tags and replies are matched in any order") {
    Harness h;
    for (int i = 0; i < 5; ++i) h.submit(i, Tclunk{static_cast<uint32_t>(i)});
    auto frames = h.sent();
    REQUIRE(frames.size() == 5);
    std::map<uint32_t, uint16_t> tag_of_fid;
    for (auto& f : frames) tag_of_fid[std::get<Tclunk>(f.msg).fid] = f.tag;
    CHECK(tag_of_fid.size() == 5);
    for (int i : {3, 0, 4, 1, 2}) h.reply(tag_of_fid[static_cast<uint32_t>(i)], Rclunk{});
    for (int i = 0; i < 5; ++i) {
        CHECK(h.out[i].calls == 1);
        CHECK(!h.out[i].ec);
    }
    CHECK(h.s.pending() == 0);
    CHECK(h.s.stats().max_in_flight == 5);
}

TEST_CASE("Rlerror becomes a generic errno, and a wrong reply type an error") {
    Harness h;
    h.submit(0, Tgetattr{1, getattr::all});
    h.submit(1, Tgetattr{2, getattr::all});
    auto f = h.sent();
    h.reply(f[0].tag, Rlerror{2});
    h.reply(f[1].tag, Rclunk{});
    CHECK(h.out[0].ec == std::errc::no_such_file_or_directory);
    CHECK(h.out[0].ec.message() == std::make_error_code(std::errc::no_such_file_or_directory).message());
    CHECK(h.out[1].ec == errc::unexpected_reply);
}

TEST_CASE("an Rlerror of errno 0 is a protocol violation, not a success without a reply") {
    Harness h;
    h.submit(0, Tgetattr{1, getattr::all});
    auto f = h.sent();
    h.reply(f[0].tag, Rlerror{0});
    CHECK(h.out[0].calls == 1);
    CHECK(h.out[0].ec == errc::protocol_violation);
    CHECK(!h.out[0].reply);
}

TEST_CASE("Tversion travels with NOTAG") {
    Harness h;
    h.submit(0, Tversion{65536, "9P2000.L"});
    auto f = h.sent();
    REQUIRE(f.size() == 1);
    CHECK(f[0].tag == notag);
    h.reply(notag, Rversion{8192, "9P2000.L"});
    CHECK(std::get<Rversion>(*h.out[0].reply).msize == 8192);
}

TEST_CASE("more requests than tags wait for a tag, in order") {
    Harness h(Session::Options{8192, 2, {}, 10s});
    for (int i = 0; i < 4; ++i) h.submit(i, Tclunk{static_cast<uint32_t>(i)});
    auto first = h.sent();
    REQUIRE(first.size() == 2);
    h.reply(first[1].tag, Rclunk{});
    auto second = h.sent();
    REQUIRE(second.size() == 1);
    CHECK(std::get<Tclunk>(second[0].msg).fid == 2);
    CHECK(second[0].tag != first[1].tag);  // a freed tag is the last to be used again
    h.reply(first[0].tag, Rclunk{});
    h.reply(second[0].tag, Rclunk{});
    auto third = h.sent();
    REQUIRE(third.size() == 1);
    h.reply(third[0].tag, Rclunk{});
    for (int i = 0; i < 4; ++i) CHECK(h.out[i].calls == 1);
    CHECK(h.s.stats().max_in_flight == 2);
}

TEST_CASE("cancelling a request that never left drops it without a Tflush") {
    Harness h;
    auto id = h.submit(0, Tclunk{1});
    h.s.cancel(id, errc::cancelled, h.now);
    CHECK(h.out[0].calls == 1);
    CHECK(h.out[0].ec == errc::cancelled);
    CHECK(h.sent().empty());
    CHECK(h.s.pending() == 0);
}

TEST_CASE("flush: the Rflush alone ends the request as cancelled") {
    Harness h(Session::Options{8192, 1, {}, 10s});
    auto id = h.submit(0, Tread{1, 0, 100});
    auto f = h.sent();
    h.s.cancel(id, errc::cancelled, h.now);
    h.s.cancel(id, errc::cancelled, h.now);  // a second cancel sends nothing more
    auto flush = h.sent();
    REQUIRE(flush.size() == 1);
    CHECK(std::get<Tflush>(flush[0].msg).oldtag == f[0].tag);
    CHECK(flush[0].tag != f[0].tag);
    CHECK(h.out[0].calls == 0);
    h.reply(flush[0].tag, Rflush{});
    CHECK(h.out[0].calls == 1);
    CHECK(h.out[0].ec == errc::cancelled);
    CHECK(h.s.pending() == 0);
}

TEST_CASE("flush: a reply before the Rflush wins, and the tag stays reserved until the Rflush") {
    Harness h(Session::Options{8192, 1, {}, 10s});
    auto id = h.submit(0, Twalk{0, 5, {"x"}});
    auto f = h.sent();
    h.s.cancel(id, errc::cancelled, h.now);
    auto flush = h.sent();
    h.reply(f[0].tag, Rwalk{{Qid{}}});
    CHECK(h.out[0].calls == 1);
    CHECK(!h.out[0].ec);  // the walk happened: its new fid must be honoured
    // The only request tag is still reserved: a new request waits.
    h.submit(1, Tclunk{5});
    CHECK(h.sent().empty());
    h.reply(flush[0].tag, Rflush{});
    auto next = h.sent();
    REQUIRE(next.size() == 1);
    CHECK(next[0].tag != f[0].tag);
    h.reply(next[0].tag, Rclunk{});
    CHECK(h.out[1].calls == 1);
    CHECK(h.out[0].calls == 1);
}

TEST_CASE("a request past its deadline is flushed and ends timed out") {
    Harness h(Session::Options{8192, 4, 5s, 10s});
    h.submit(0, Tread{1, 0, 10});
    auto f = h.sent();
    h.now += 4s;
    REQUIRE(!h.s.on_tick(h.now));
    CHECK(h.sent().empty());
    h.now += 2s;
    REQUIRE(!h.s.on_tick(h.now));
    auto flush = h.sent();
    REQUIRE(flush.size() == 1);
    CHECK(std::holds_alternative<Tflush>(flush[0].msg));
    h.reply(flush[0].tag, Rflush{});
    CHECK(h.out[0].ec == errc::timed_out);
    CHECK(h.out[0].ec == std::errc::timed_out);
    CHECK(h.s.stats().timeouts == 1);
}

TEST_CASE("an unanswered flush means the server is gone") {
    Harness h(Session::Options{8192, 4, 1s, 3s});
    h.submit(0, Tread{1, 0, 10});
    h.sent();
    h.now += 2s;
    REQUIRE(!h.s.on_tick(h.now));
    h.sent();
    h.now += 2s;
    CHECK(!h.s.on_tick(h.now));
    h.now += 2s;
    auto dead = h.s.on_tick(h.now);
    CHECK(dead == errc::timed_out);
    h.s.fail_all(dead);
    CHECK(h.out[0].calls == 1);
    CHECK(h.out[0].ec == errc::timed_out);
}

TEST_CASE("fail_all ends everything exactly once, and later submits fail at once") {
    Harness h(Session::Options{8192, 2, {}, 10s});
    for (int i = 0; i < 5; ++i) h.submit(i, Tclunk{static_cast<uint32_t>(i)});
    h.sent();
    h.s.fail_all(errc::connection_closed);
    for (int i = 0; i < 5; ++i) {
        CHECK(h.out[i].calls == 1);
        CHECK(h.out[i].ec == errc::connection_closed);
    }
    h.submit(9, Tclunk{9});
    CHECK(h.out[9].ec == errc::connection_closed);
    CHECK(h.s.pending() == 0);
    CHECK(!h.s.has_output());
}

TEST_CASE("a Twrite is sent as a header plus the caller's own buffers") {
    Harness h(Session::Options{128, 4, {}, 10s});
    std::vector<std::byte> a(40, std::byte{1}), b(30, std::byte{2});
    h.submit(0, Twrite{3, 1000, {}}, {a, b});
    auto out = h.s.take_output();
    REQUIRE(out.size() == 1);
    CHECK(out[0].head.size() == twrite_header_size);
    REQUIRE(out[0].payload.size() == 2);
    CHECK(out[0].payload[0].data() == a.data());  // not copied
    CHECK(out[0].payload[1].data() == b.data());
    CHECK(out[0].size() == twrite_header_size + 70);
    SUBCASE("larger than msize is refused before sending") {
        std::vector<std::byte> big(200);
        h.submit(1, Twrite{3, 0, {big}});
        CHECK(h.out[1].ec == errc::message_too_large);
        CHECK(!h.s.has_output());
    }
}

TEST_CASE("garbage from the server is reported, a reply for an unknown tag is a protocol violation") {
    Harness h;
    h.submit(0, Tclunk{1});
    auto f = h.sent();
    std::vector<std::byte> junk{std::byte{9}, std::byte{0}, std::byte{0}, std::byte{0}, std::byte{250},
                                std::byte{0}, std::byte{0}, std::byte{0}, std::byte{0}};
    CHECK(h.s.on_frame(junk, h.now) == errc::unknown_type);
    CHECK(h.s.on_frame(*encode(999, Rclunk{}), h.now) == errc::protocol_violation);
    CHECK(h.out[0].calls == 0);
    h.reply(f[0].tag, Rclunk{});
    CHECK(h.out[0].calls == 1);
}

TEST_CASE("a reply that arrives twice is never taken for a later request's") {
    // The tag of an answered request is not handed out again until every other tag was
    // used, so the duplicate finds nobody waiting under its tag.
    Harness h(Session::Options{8192, 4, {}, 10s});
    h.submit(0, Tread{1, 0, 10});
    auto first = h.sent();
    REQUIRE(first.size() == 1);
    const auto original = *encode(first[0].tag, Rread{{}});
    REQUIRE(!h.s.on_frame(original, h.now));
    CHECK(h.out[0].calls == 1);
    std::set<uint16_t> seen{first[0].tag};
    for (int i = 1; i <= 1000; ++i) {  // later requests, answered in turn: none reuses the tag
        h.submit(i, Tclunk{static_cast<uint32_t>(i)});
        auto f = h.sent();
        REQUIRE(f.size() == 1);
        CHECK(f[0].tag != first[0].tag);
        CHECK(seen.insert(f[0].tag).second);
        h.reply(f[0].tag, Rclunk{});
    }
    h.submit(1001, Tread{1, 0, 10});
    auto pending = h.sent();
    REQUIRE(pending.size() == 1);
    CHECK(h.s.on_frame(original, h.now) == errc::protocol_violation);  // the duplicate, late
    CHECK(h.out[1001].calls == 0);
}

TEST_CASE("tags wrap around the 16-bit space, skipping NOTAG and tags still in use") {
    Harness h(Session::Options{8192, 2, {}, 10s});
    h.submit(0, Tclunk{0});  // held for the whole test
    auto held = h.sent();
    REQUIRE(held.size() == 1);
    for (int i = 1; i <= 70000; ++i) {
        h.submit(i, Tclunk{static_cast<uint32_t>(i)});
        auto f = h.sent();
        REQUIRE(f.size() == 1);
        REQUIRE(f[0].tag != notag);
        REQUIRE(f[0].tag != held[0].tag);
        h.reply(f[0].tag, Rclunk{});
    }
    h.reply(held[0].tag, Rclunk{});
    CHECK(h.out[0].calls == 1);
}
