// The congestion window of one call's sending side, in packets.
//
// Slow start grows the window by one packet per packet acknowledged until ssthresh, then
// congestion avoidance by about one packet per window. A loss seen through NACKs (fast
// retransmit) halves the window once per window of data; a retransmission timeout
// drops it to one packet. What the sender may have outstanding is the smaller of this
// window and the window the receiver advertises.
#pragma once

#include <cstdint>

namespace afs::rx {

struct CongestionOptions {
    uint32_t initial_window = 8;
    uint32_t max_window = 255;        // never more than one ACK can describe
    uint32_t initial_ssthresh = 255;
};

class CongestionWindow {
public:
    explicit CongestionWindow(CongestionOptions options = {});

    uint32_t window() const { return cwnd_; }
    uint32_t ssthresh() const { return ssthresh_; }
    bool in_recovery() const { return in_recovery_; }

    // `packets` newly acknowledged (hard or soft) by one ACK.
    void on_acked(uint32_t packets);
    // The hard-ack point moved to `first_unacked`: leaves recovery once past its end.
    void on_progress(uint32_t first_unacked);
    // A packet was found lost by NACKs; `highest_sent` is the highest seq sent so far.
    void on_fast_retransmit(uint32_t highest_sent);
    // The retransmission timer fired.
    void on_timeout();

    // Carries a learned state into a new call on the same connection.
    void resume(uint32_t window, uint32_t ssthresh);

private:
    CongestionOptions options_;
    uint32_t cwnd_;
    uint32_t ssthresh_;
    uint32_t avoidance_credit_ = 0;  // packets acked in congestion avoidance since the last increase
    bool in_recovery_ = false;
    uint32_t recovery_end_ = 0;      // recovery ends when everything up to this seq is acked
};

}  // namespace afs::rx
