// Round-trip time and the retransmission timeout of one peer path.
//
// Van Jacobson's estimator, as Rx uses it: srtt += (sample - srtt) / 8, rttvar tracks the
// mean deviation, and RTO = max(srtt + 4 * rttvar, min_rto) + slack. The slack (200 ms in
// OpenAFS) covers receivers that hold an ACK back for a while. Each retransmission timeout
// doubles the RTO up to max_rto; a fresh sample ends the backoff.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>

namespace afs::rx {

using Clock = std::chrono::steady_clock;

struct RttOptions {
    Clock::duration initial_rto = std::chrono::seconds(1);    // before the first sample
    Clock::duration min_rto = std::chrono::milliseconds(20);  // rx_minPeerTimeout
    Clock::duration rto_slack = std::chrono::milliseconds(200);
    Clock::duration max_rto = std::chrono::seconds(60);
};

class RttEstimator {
public:
    explicit RttEstimator(RttOptions options = {}) : options_(options) {}

    void sample(Clock::duration rtt);
    void back_off();
    void reset_backoff() { backoff_ = 0; }

    Clock::duration rto() const;
    std::optional<Clock::duration> srtt() const;
    Clock::duration rttvar() const { return std::chrono::microseconds(rttvar_us_); }
    unsigned backoff() const { return backoff_; }
    uint64_t samples() const { return samples_; }

private:
    RttOptions options_;
    int64_t srtt_us_ = 0;
    int64_t rttvar_us_ = 0;
    uint64_t samples_ = 0;
    unsigned backoff_ = 0;
};

}  // namespace afs::rx
