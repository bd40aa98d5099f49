// When an AFS call that failed is worth making again, and after how long.
//
// A busy or offline volume (VBUSY, VOFFLINE, VSALVAGE, VSALVAGING, VNOSERVICE,
// RX_RESTARTING) is waited for with exponential backoff, within a count and a time budget;
// a moved or vanished volume (VMOVED, VNOVOL) sends the client back to the VL server; a
// server that stopped answering is left for another server holding the volume, if any.
// Everything else (permissions, missing files, key errors...) is the caller's to handle.
//
// Pure: time comes in as arguments, so tests need no clock.
#pragma once

#include <chrono>
#include <cstdint>
#include <system_error>

namespace afs::client {

struct RetryPolicy {
    uint32_t max_busy_retries = 12;                     // calls on a busy volume after the first
    std::chrono::milliseconds first_delay{200};         // wait before the first busy retry
    std::chrono::milliseconds max_delay{5000};          // the backoff doubles up to this
    std::chrono::milliseconds busy_budget{60000};       // stop retrying once this much time has passed
    uint32_t max_relocations = 3;                       // VL re-lookups after VMOVED/VNOVOL
    uint32_t max_failovers = 4;                         // other servers tried after one stopped answering
};

// The volume is there but cannot serve now: wait and retry.
bool is_busy_volume(std::error_code ec) noexcept;
// The server could not be reached or stopped answering (no Rx answer for the dead time).
bool is_server_unreachable(std::error_code ec) noexcept;
// The connection itself is unusable afterwards (a rejected ticket, a closed connection):
// the next call needs a new connection.
bool is_connection_error(std::error_code ec) noexcept;

// first_delay * 2^(retry - 1), capped at max_delay; retry counts from 1.
std::chrono::milliseconds backoff_delay(const RetryPolicy& policy, uint32_t retry) noexcept;

enum class RetryAction : uint8_t {
    done,        // success: nothing to do
    wait,        // busy volume: wait `delay`, then call again
    relocate,    // moved volume: forget its location, ask the VL server, call again
    failover,    // unreachable server: call another server holding the volume
    fail,        // report the error
};

struct RetryDecision {
    RetryAction action = RetryAction::fail;
    std::chrono::milliseconds delay{0};
    bool operator==(const RetryDecision&) const = default;
};

// One operation's retry bookkeeping.
class RetryState {
public:
    explicit RetryState(const RetryPolicy& policy) : policy_(policy) {}

    // What to do after a call ended with `ec`, `elapsed` after the operation began.
    // `other_server` says whether another server holding the volume has not failed yet.
    RetryDecision next(std::error_code ec, std::chrono::steady_clock::duration elapsed, bool other_server);

    uint32_t busy_retries() const { return busy_; }
    uint32_t relocations() const { return relocations_; }
    uint32_t failovers() const { return failovers_; }

private:
    RetryPolicy policy_;
    uint32_t busy_ = 0;
    uint32_t relocations_ = 0;
    uint32_t failovers_ = 0;
};

}  // namespace afs::client
