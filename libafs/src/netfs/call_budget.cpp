// The in-flight budget of an AFS upload (see call_budget.hpp).
#include "libafs/netfs/call_budget.hpp"

#include <algorithm>

namespace afs::netfs {

namespace {

BudgetLimits sane(BudgetLimits l) {
    l.max_calls = std::max<uint32_t>(l.max_calls, 1);
    l.granule = std::max<uint64_t>(l.granule, 1);
    l.min_call_bytes = std::max<uint64_t>(l.min_call_bytes, 1);
    l.max_call_bytes = std::max(l.max_call_bytes, l.min_call_bytes);
    return l;
}

}  // namespace

CallBudget::CallBudget(BudgetLimits limits)
    : limits_(sane(limits)), max_bytes_(limits_.max_call_bytes * limits_.max_calls), bytes_(max_bytes_) {}

uint64_t CallBudget::call_bytes() const {
    if (bytes_ >= limits_.max_call_bytes) return limits_.max_call_bytes;
    // Below one full call: the whole budget in one call, in whole granules.
    const uint64_t rounded = bytes_ / limits_.granule * limits_.granule;
    return std::max(rounded, limits_.min_call_bytes);
}

uint32_t CallBudget::calls() const {
    const uint64_t n = bytes_ / call_bytes();
    return static_cast<uint32_t>(std::clamp<uint64_t>(n, 1, limits_.max_calls));
}

bool CallBudget::shrink(uint64_t call_epoch) {
    if (call_epoch != epoch_) return false;  // already shrunk for this round of calls
    uint64_t half = bytes_ / 2;
    // Whole calls while there are several (12 MiB halves to one 4 MiB call, not 6 MiB).
    if (half >= limits_.max_call_bytes) half = half / limits_.max_call_bytes * limits_.max_call_bytes;
    half = std::max(half, limits_.min_call_bytes);
    successes_ = 0;
    ++epoch_;  // calls in flight now were started under the old budget
    if (half == bytes_) return false;
    bytes_ = half;
    return true;
}

bool CallBudget::grow() {
    if (bytes_ >= max_bytes_) return false;
    if (bytes_ < limits_.max_call_bytes) {
        // One call, smaller than a full one: double (slow start back to a full call).
        bytes_ = std::min(std::max(bytes_ * 2, limits_.min_call_bytes), max_bytes_);
        successes_ = 0;
        return true;
    }
    // A round is as many successes as calls are allowed; then one more call.
    if (++successes_ < calls()) return false;
    successes_ = 0;
    bytes_ = std::min(bytes_ + limits_.max_call_bytes, max_bytes_);
    return true;
}

}  // namespace afs::netfs
