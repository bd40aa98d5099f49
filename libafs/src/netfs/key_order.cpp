// Key choice for one AFS file (see key_order.hpp).
#include "libafs/netfs/key_order.hpp"

#include <algorithm>

namespace afs::netfs {

KeyOrder::KeyOrder(size_t keys) : state_(std::min(keys, max_keys)) {}

size_t KeyOrder::first() const {
    if (last_good_ && !state_[*last_good_].refused) return *last_good_;
    for (size_t k = 0; k < size(); ++k)
        if (state_[k].good && !state_[k].refused) return k;
    for (size_t k = 0; k < size(); ++k)
        if (!state_[k].refused) return k;
    return 0;
}

std::optional<size_t> KeyOrder::next(uint64_t tried) const {
    auto untried = [tried](size_t k) { return (tried & (uint64_t{1} << k)) == 0; };
    for (size_t k = 0; k < size(); ++k)
        if (untried(k) && state_[k].good && !state_[k].refused) return k;
    for (size_t k = 0; k < size(); ++k)
        if (untried(k) && !state_[k].refused) return k;
    for (size_t k = 0; k < size(); ++k)
        if (untried(k)) return k;
    return std::nullopt;
}

void KeyOrder::succeeded(size_t k) {
    if (k >= size()) return;
    state_[k].good = true;
    state_[k].refused = false;
    last_good_ = k;
}

void KeyOrder::refused(size_t k) {
    if (k >= size()) return;
    state_[k].refused = true;
    if (last_good_ == k) last_good_.reset();
}

}  // namespace afs::netfs
