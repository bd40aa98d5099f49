#include "libafs/rx/rtt.hpp"

#include <algorithm>

namespace afs::rx {

using std::chrono::duration_cast;
using std::chrono::microseconds;

void RttEstimator::sample(Clock::duration rtt) {
    const int64_t s = std::max<int64_t>(0, duration_cast<microseconds>(rtt).count());
    if (samples_ == 0) {
        srtt_us_ = s;
        rttvar_us_ = s / 2;
    } else {
        const int64_t delta = s - srtt_us_;
        srtt_us_ += delta / 8;
        rttvar_us_ += ((delta < 0 ? -delta : delta) - rttvar_us_) / 4;
    }
    ++samples_;
    backoff_ = 0;
}

void RttEstimator::back_off() {
    if (rto() < options_.max_rto) ++backoff_;
}

Clock::duration RttEstimator::rto() const {
    Clock::duration base = options_.initial_rto;
    if (samples_ > 0) {
        base = std::max<Clock::duration>(microseconds(srtt_us_ + 4 * rttvar_us_), options_.min_rto) +
               options_.rto_slack;
    }
    // Shift with a cap well before any overflow.
    for (unsigned i = 0; i < backoff_ && base < options_.max_rto; ++i) base *= 2;
    return std::min(base, options_.max_rto);
}

std::optional<Clock::duration> RttEstimator::srtt() const {
    if (samples_ == 0) return std::nullopt;
    return microseconds(srtt_us_);
}

}  // namespace afs::rx
