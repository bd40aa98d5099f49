// Classes of failed AFS data calls (see call_errors.hpp).
#include "libafs/netfs/call_errors.hpp"

#include "libafs/client/retry_policy.hpp"
#include "libafs/error.hpp"

namespace afs::netfs {

CallFailure classify_call(std::error_code ec) noexcept {
    if (!ec) return CallFailure::none;
    // A security class that does not fit the server's challenge is a key problem too: a
    // connection with another identity may well work.
    if (is_key_error(ec) || ec == errc::security_mismatch) return CallFailure::key;
    if (client::is_busy_volume(ec)) return CallFailure::busy;
    if (is_volume_moved(ec)) return CallFailure::moved;
    // Our own verdicts first (afs::errc): a server we heard nothing from, or a call that
    // made no progress, for as long as we were told to wait.
    if (ec == errc::peer_dead || ec == errc::timed_out) return CallFailure::silent;
    if (client::is_server_unreachable(ec) || ec == std::errc::timed_out) return CallFailure::congestion;
    return CallFailure::permanent;
}

const char* to_string(CallFailure f) noexcept {
    switch (f) {
        case CallFailure::none: return "none";
        case CallFailure::key: return "key refused";
        case CallFailure::busy: return "volume busy";
        case CallFailure::moved: return "volume moved";
        case CallFailure::congestion: return "congestion";
        case CallFailure::silent: return "server silent";
        case CallFailure::permanent: return "permanent";
    }
    return "unknown";
}

}  // namespace afs::netfs
