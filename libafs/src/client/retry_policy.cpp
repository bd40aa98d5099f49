// Retry decisions for AFS calls (see retry_policy.hpp).
#include "libafs/client/retry_policy.hpp"

#include <algorithm>

#include "libafs/error.hpp"

namespace afs::client {

bool is_busy_volume(std::error_code ec) noexcept {
    // VNOSERVICE is what a fileserver says about a volume it is still attaching or
    // detaching; OpenAFS's cache manager waits for it like VBUSY.
    return is_volume_busy(ec) || ec == abort_error(abort_code::VNOSERVICE);
}

bool is_server_unreachable(std::error_code ec) noexcept {
    return ec == errc::peer_dead || ec == abort_error(abort_code::RX_CALL_DEAD) ||
           ec == abort_error(abort_code::RX_CALL_TIMEOUT);
}

bool is_connection_error(std::error_code ec) noexcept {
    if (ec == errc::not_connected || ec == errc::security_mismatch || ec == errc::peer_dead) return true;
    if (ec.category() != abort_category()) return false;
    const int v = ec.value();
    return v == abort_code::VICECONNBAD || v == abort_code::VICETOKENDEAD ||
           (v >= abort_code::RXKADINCONSISTENCY && v <= abort_code::RXKADILLEGALLEVEL);
}

std::chrono::milliseconds backoff_delay(const RetryPolicy& policy, uint32_t retry) noexcept {
    if (retry == 0) return std::chrono::milliseconds{0};
    auto d = policy.first_delay;
    for (uint32_t i = 1; i < retry && d < policy.max_delay; ++i) d *= 2;
    return std::min(d, policy.max_delay);
}

RetryDecision RetryState::next(std::error_code ec, std::chrono::steady_clock::duration elapsed, bool other_server) {
    if (!ec) return {RetryAction::done, {}};
    if (is_busy_volume(ec)) {
        if (busy_ >= policy_.max_busy_retries) return {RetryAction::fail, {}};
        const auto delay = backoff_delay(policy_, busy_ + 1);
        // The wait itself must fit in the budget: no retry that would start after it ran out.
        if (elapsed + delay > policy_.busy_budget) return {RetryAction::fail, {}};
        ++busy_;
        return {RetryAction::wait, delay};
    }
    if (is_volume_moved(ec)) {
        if (relocations_ >= policy_.max_relocations) return {RetryAction::fail, {}};
        ++relocations_;
        return {RetryAction::relocate, {}};
    }
    if (is_server_unreachable(ec) && other_server) {
        if (failovers_ >= policy_.max_failovers) return {RetryAction::fail, {}};
        ++failovers_;
        return {RetryAction::failover, {}};
    }
    return {RetryAction::fail, {}};
}

}  // namespace afs::client
