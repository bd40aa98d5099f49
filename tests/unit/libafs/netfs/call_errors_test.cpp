// What a failed AFS data call means for the adapter: another key, a smaller budget, a
// plain retry, or an error to report.
#include <doctest/doctest.h>

#include "libafs/error.hpp"
#include "libafs/netfs/call_errors.hpp"

using namespace afs;
using afs::netfs::CallFailure;
using afs::netfs::classify_call;

TEST_CASE("key refusals: ACLs, tickets, tokens") {
    CHECK(classify_call(abort_error(13)) == CallFailure::key);                            // EACCES
    CHECK(classify_call(abort_error(abort_code::UAE_BASE + 12)) == CallFailure::key);     // UAEACCES
    CHECK(classify_call(std::make_error_code(std::errc::operation_not_permitted)) == CallFailure::key);
    for (int32_t c : {abort_code::RXKADEXPIRED, abort_code::RXKADBADTICKET, abort_code::RXKADUNKNOWNKEY,
                      abort_code::RXKADNOAUTH, abort_code::RXKADLEVELFAIL, abort_code::VICETOKENDEAD})
        CHECK_MESSAGE(classify_call(abort_error(c)) == CallFailure::key, c);
    CHECK(classify_call(errc::security_mismatch) == CallFailure::key);
}

TEST_CASE("busy, moved, congestion, silent, and the rest") {
    CHECK(classify_call({}) == CallFailure::none);
    for (int32_t c : {abort_code::VBUSY, abort_code::VOFFLINE, abort_code::VSALVAGING, abort_code::VNOSERVICE,
                      abort_code::RX_RESTARTING})
        CHECK_MESSAGE(classify_call(abort_error(c)) == CallFailure::busy, c);
    CHECK(classify_call(abort_error(abort_code::VMOVED)) == CallFailure::moved);
    CHECK(classify_call(abort_error(abort_code::VNOVOL)) == CallFailure::moved);
    // Our own timeouts (dead time, idle timeout) are the caller's limit: not retried.
    CHECK(classify_call(errc::peer_dead) == CallFailure::silent);
    CHECK(classify_call(errc::timed_out) == CallFailure::silent);
    CHECK(classify_call(abort_error(abort_code::RX_CALL_TIMEOUT)) == CallFailure::congestion);
    CHECK(classify_call(abort_error(abort_code::RX_CALL_DEAD)) == CallFailure::congestion);
    for (int32_t c : {abort_code::VDISKFULL, abort_code::VOVERQUOTA, abort_code::VNOVNODE, 28 /* ENOSPC */})
        CHECK_MESSAGE(classify_call(abort_error(c)) == CallFailure::permanent, c);
    CHECK(classify_call(errc::protocol_violation) == CallFailure::permanent);
    CHECK(classify_call(errc::not_connected) == CallFailure::permanent);
    CHECK(std::string(afs::netfs::to_string(CallFailure::key)) == "key refused");
}
