#include "libafs/rx/congestion.hpp"

#include <algorithm>

namespace afs::rx {

CongestionWindow::CongestionWindow(CongestionOptions options)
    : options_(options),
      cwnd_(std::clamp<uint32_t>(options.initial_window, 1, std::max<uint32_t>(1, options.max_window))),
      ssthresh_(std::max<uint32_t>(2, options.initial_ssthresh)) {}

void CongestionWindow::on_acked(uint32_t packets) {
    if (in_recovery_ || packets == 0) return;
    const uint32_t max = std::max<uint32_t>(1, options_.max_window);
    while (packets > 0 && cwnd_ < max) {
        if (cwnd_ < ssthresh_) {
            ++cwnd_;
            --packets;
        } else {
            // Congestion avoidance: one more packet for each full window acknowledged.
            const uint32_t take = std::min(packets, cwnd_ - avoidance_credit_);
            avoidance_credit_ += take;
            packets -= take;
            if (avoidance_credit_ >= cwnd_) {
                avoidance_credit_ = 0;
                ++cwnd_;
            }
        }
    }
}

void CongestionWindow::on_progress(uint32_t first_unacked) {
    if (in_recovery_ && first_unacked > recovery_end_) in_recovery_ = false;
}

void CongestionWindow::on_fast_retransmit(uint32_t highest_sent) {
    if (in_recovery_) return;  // one reduction per window of data
    ssthresh_ = std::max<uint32_t>(2, cwnd_ / 2);
    cwnd_ = ssthresh_;
    avoidance_credit_ = 0;
    in_recovery_ = true;
    recovery_end_ = highest_sent;
}

void CongestionWindow::on_timeout() {
    ssthresh_ = std::max<uint32_t>(2, cwnd_ / 2);
    cwnd_ = 1;
    avoidance_credit_ = 0;
    in_recovery_ = false;
}

void CongestionWindow::resume(uint32_t window, uint32_t ssthresh) {
    const uint32_t max = std::max<uint32_t>(1, options_.max_window);
    cwnd_ = std::clamp<uint32_t>(std::max(window, options_.initial_window), 1, max);
    ssthresh_ = std::max<uint32_t>(2, ssthresh);
}

}  // namespace afs::rx
