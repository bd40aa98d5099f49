// Lifetime codes and the ticket time rules.
#include <doctest/doctest.h>

#include "libafs/crypto/lifetime.hpp"

using namespace afs::crypto;

TEST_CASE("lifetime codes: short lifetimes count 5-minute units, rounding up") {
    const uint32_t t = 1'700'000'000;
    CHECK(*encode_lifetime(t, t + 1) == 1);
    CHECK(*encode_lifetime(t, t + 300) == 1);
    CHECK(*encode_lifetime(t, t + 301) == 2);
    CHECK(*encode_lifetime(t, t + 3600) == 12);
    CHECK(*encode_lifetime(t, t + 38100) == 127);
    CHECK(*encode_lifetime(t, t + 38101) == 0x80);  // rounds up into the table's first entry
    CHECK(decode_lifetime(t, 12) == t + 3600);
    CHECK(decode_lifetime(t, 0x7f) == t + 38100);
}

TEST_CASE("lifetime codes: the table covers 10 2/3 hours to 30 days") {
    const uint32_t t = 1'700'000'000;
    CHECK(*encode_lifetime(t, t + 38400) == 0x80);
    CHECK(decode_lifetime(t, 0x80) == t + 38400);
    CHECK(*encode_lifetime(t, t + 38401) == 0x81);
    CHECK(decode_lifetime(t, 0x81) == t + 41055);
    CHECK(*encode_lifetime(t, t + 86400) == 0x8d);  // one day: 91581 s is the first entry >= 86400
    CHECK(decode_lifetime(t, 0x8d) == t + 91581);
    CHECK(*encode_lifetime(t, t + 2592000) == 0xbf);
    CHECK(decode_lifetime(t, 0xbf) == t + 2592000);
    CHECK(decode_lifetime(t, 0xc0) == t + 2592000);  // above the table: 30 days
    CHECK(decode_lifetime(t, 0xfe) == t + 2592000);
}

TEST_CASE("lifetime codes never shorten a lifetime and overshoot by at most one step") {
    const uint32_t t = 1'000'000;
    uint32_t previous_end = t;
    for (uint32_t life = 1; life <= max_ticket_lifetime; life += (life < 40000 ? 97 : 7919)) {
        auto code = encode_lifetime(t, t + life);
        REQUIRE(code);
        uint32_t end = decode_lifetime(t, *code);
        CHECK(end >= t + life);
        CHECK(end - (t + life) <= (life < 38400 ? 299 : life / 14 + 1));
        CHECK(end >= previous_end);  // monotonic
        previous_end = end;
    }
}

TEST_CASE("lifetime codes: never-expiring and impossible lifetimes") {
    CHECK(*encode_lifetime(0, never_expires) == 0xff);
    CHECK(*encode_lifetime(12345, never_expires) == 0xff);
    CHECK(decode_lifetime(12345, 0xff) == never_expires);
    CHECK(!encode_lifetime(100, 100));
    CHECK(!encode_lifetime(100, 99));
    CHECK(!encode_lifetime(100, 100 + max_ticket_lifetime + 1));
    CHECK(encode_lifetime(100, 100 + max_ticket_lifetime));
    CHECK(encode_lifetime(100, 100 + max_ticket_lifetime + 1).error() == afs::errc::bad_value);
}

TEST_CASE("ticket times as a server judges them") {
    const uint32_t now = 1'700'000'000;
    CHECK(check_ticket_time(now - 10, now + 3600, now) == TicketTime::valid);
    CHECK(check_ticket_time(0, never_expires, now) == TicketTime::valid_forever);
    CHECK(check_ticket_time(now - 10, never_expires, now) == TicketTime::valid_forever);
    // 15 minutes of clock skew either way.
    CHECK(check_ticket_time(now + 899, now + 3600, now) == TicketTime::valid);
    CHECK(check_ticket_time(now + 901, now + 3600, now) == TicketTime::not_yet_valid);
    CHECK(check_ticket_time(now - 3600, now - 899, now) == TicketTime::valid);
    CHECK(check_ticket_time(now - 3600, now - 901, now) == TicketTime::expired);
    // Nonsense.
    CHECK(check_ticket_time(now, now, now) == TicketTime::invalid);
    CHECK(check_ticket_time(now, now - 1, now) == TicketTime::invalid);
    CHECK(check_ticket_time(now, now + max_ticket_lifetime + 1, now) == TicketTime::invalid);
    CHECK(check_ticket_time(now + 40 * 86400, now + 41 * 86400, now) == TicketTime::invalid);
    CHECK(check_ticket_time(now - 40 * 86400, now - 39 * 86400, now) == TicketTime::invalid);
    // Values near the 32-bit edges do not wrap into validity.
    CHECK(check_ticket_time(0xFFFFFF00u, 0xFFFFFFFEu, 100) == TicketTime::invalid);
    CHECK(check_ticket_time(100, 0xFFFFFFFEu, 0xFFFFFFF0u) == TicketTime::invalid);
    CHECK(check_ticket_time(0xFFFFFF00u, 0xFFFFFFFEu, 0xFFFFFFF0u) == TicketTime::valid);
    CHECK(check_ticket_time(0xFFFFFF00u, 0xFFFFFFFEu, 100) == TicketTime::invalid);
    CHECK(std::string(to_string(TicketTime::expired)) == "expired");
}

TEST_CASE("unix_now is the current time") {
    CHECK(unix_now() > 1'600'000'000u);
}
