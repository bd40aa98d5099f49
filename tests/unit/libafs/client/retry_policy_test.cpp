// When the client calls again after a failure, and when it gives up.
#include <doctest/doctest.h>

#include "libafs/client/retry_policy.hpp"
#include "libafs/error.hpp"

using namespace afs;
using namespace afs::client;
using namespace std::chrono_literals;

namespace {
std::error_code abort_of(int32_t code) { return abort_error(code); }
}  // namespace

TEST_CASE("classification of errors") {
    for (int32_t c : {abort_code::VBUSY, abort_code::VOFFLINE, abort_code::VSALVAGING, abort_code::VSALVAGE,
                      abort_code::VNOSERVICE, abort_code::RX_RESTARTING})
        CHECK_MESSAGE(is_busy_volume(abort_of(c)), c);
    for (int32_t c : {abort_code::VMOVED, abort_code::VNOVOL, abort_code::VNOVNODE, abort_code::VDISKFULL})
        CHECK_FALSE_MESSAGE(is_busy_volume(abort_of(c)), c);
    CHECK_FALSE(is_busy_volume(std::make_error_code(std::errc::permission_denied)));

    CHECK(is_server_unreachable(errc::peer_dead));
    CHECK(is_server_unreachable(abort_of(abort_code::RX_CALL_DEAD)));
    CHECK_FALSE(is_server_unreachable(abort_of(abort_code::VBUSY)));
    CHECK_FALSE(is_server_unreachable(errc::cancelled));

    CHECK(is_connection_error(abort_of(abort_code::RXKADBADTICKET)));
    CHECK(is_connection_error(abort_of(abort_code::RXKADEXPIRED)));
    CHECK(is_connection_error(abort_of(abort_code::VICETOKENDEAD)));
    CHECK(is_connection_error(errc::not_connected));
    // An ACL refusal is about one call, not the connection.
    CHECK_FALSE(is_connection_error(abort_of(13)));
    CHECK_FALSE(is_connection_error(abort_of(abort_code::UAE_BASE + 12)));
    CHECK_FALSE(is_connection_error(abort_of(abort_code::VBUSY)));
}

TEST_CASE("backoff doubles from the first delay and stops at the cap") {
    RetryPolicy p;
    p.first_delay = 100ms;
    p.max_delay = 1000ms;
    CHECK(backoff_delay(p, 0) == 0ms);
    CHECK(backoff_delay(p, 1) == 100ms);
    CHECK(backoff_delay(p, 2) == 200ms);
    CHECK(backoff_delay(p, 3) == 400ms);
    CHECK(backoff_delay(p, 4) == 800ms);
    CHECK(backoff_delay(p, 5) == 1000ms);
    CHECK(backoff_delay(p, 1000) == 1000ms);  // no overflow for large counts
}

TEST_CASE("a busy volume is waited for, within the count and the time budget") {
    RetryPolicy p;
    p.first_delay = 100ms;
    p.max_delay = 400ms;
    p.max_busy_retries = 4;
    p.busy_budget = 10s;
    RetryState s(p);
    const auto busy = abort_of(abort_code::VBUSY);
    CHECK(s.next(busy, 0s, false) == RetryDecision{RetryAction::wait, 100ms});
    CHECK(s.next(busy, 1s, false) == RetryDecision{RetryAction::wait, 200ms});
    CHECK(s.next(abort_of(abort_code::VOFFLINE), 2s, false) == RetryDecision{RetryAction::wait, 400ms});
    CHECK(s.next(busy, 3s, false) == RetryDecision{RetryAction::wait, 400ms});
    CHECK(s.next(busy, 4s, false).action == RetryAction::fail);  // the fifth busy answer: count reached
    CHECK(s.busy_retries() == 4);

    RetryState t(p);
    // A wait that would end past the budget is not started.
    CHECK(t.next(busy, 9950ms, false).action == RetryAction::fail);
    CHECK(t.busy_retries() == 0);
}

TEST_CASE("a moved volume is looked up again a few times, and an unreachable server is left for another") {
    RetryPolicy p;
    p.max_relocations = 2;
    p.max_failovers = 1;
    RetryState s(p);
    CHECK(s.next(abort_of(abort_code::VMOVED), 0s, false).action == RetryAction::relocate);
    CHECK(s.next(abort_of(abort_code::VNOVOL), 0s, false).action == RetryAction::relocate);
    CHECK(s.next(abort_of(abort_code::VMOVED), 0s, false).action == RetryAction::fail);

    RetryState u(p);
    CHECK(u.next(errc::peer_dead, 0s, false).action == RetryAction::fail);  // nowhere else to go
    CHECK(u.next(errc::peer_dead, 0s, true).action == RetryAction::failover);
    CHECK(u.next(errc::peer_dead, 0s, true).action == RetryAction::fail);  // failovers used up
}

TEST_CASE("success, and errors that are the caller's, end at once") {
    RetryState s(RetryPolicy{});
    CHECK(s.next({}, 0s, true).action == RetryAction::done);
    for (auto ec : {std::make_error_code(std::errc::permission_denied), abort_of(abort_code::RXKADBADTICKET),
                    abort_of(abort_code::VNOVNODE), abort_of(abort_code::VDISKFULL), make_error_code(errc::cancelled)})
        CHECK_MESSAGE(s.next(ec, 0s, true).action == RetryAction::fail, ec.message());
}
