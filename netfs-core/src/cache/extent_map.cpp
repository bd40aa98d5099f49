#include "netfs/cache/extent_map.hpp"

#include <algorithm>
#include <iterator>

namespace netfs::cache {

void ExtentMap::add(uint64_t pos, uint64_t len) {
    if (len == 0) return;
    uint64_t b = pos, e = pos + len;
    auto it = ranges_.upper_bound(b);
    if (it != ranges_.begin() && std::prev(it)->second >= b) --it;
    while (it != ranges_.end() && it->first <= e) {
        b = std::min(b, it->first);
        e = std::max(e, it->second);
        bytes_ -= it->second - it->first;
        it = ranges_.erase(it);
    }
    ranges_.emplace(b, e);
    bytes_ += e - b;
}

void ExtentMap::clear() {
    ranges_.clear();
    bytes_ = 0;
}

std::optional<Extent> ExtentMap::next_present(uint64_t pos) const {
    auto it = ranges_.upper_bound(pos);
    if (it != ranges_.begin() && std::prev(it)->second > pos) --it;
    if (it == ranges_.end()) return std::nullopt;
    return Extent{it->first, it->second - it->first};
}

uint64_t ExtentMap::prefix() const {
    auto it = ranges_.begin();
    return it != ranges_.end() && it->first == 0 ? it->second : 0;
}

bool ExtentMap::covers(uint64_t pos, uint64_t len) const {
    if (len == 0) return true;
    auto e = next_present(pos);
    return e && e->pos <= pos && e->pos + e->len >= pos + len;
}

uint64_t ExtentMap::missing(uint64_t pos, uint64_t len) const {
    const uint64_t end = pos + len;
    uint64_t present = 0;
    auto it = ranges_.upper_bound(pos);
    if (it != ranges_.begin()) --it;
    for (; it != ranges_.end() && it->first < end; ++it) {
        const uint64_t b = std::max(pos, it->first), e = std::min(end, it->second);
        if (e > b) present += e - b;
    }
    return len - present;
}

std::vector<Extent> ExtentMap::to_vector() const {
    std::vector<Extent> out;
    out.reserve(ranges_.size());
    for (auto& [b, e] : ranges_) out.push_back({b, e - b});
    return out;
}

ExtentMap ExtentMap::from(const std::vector<Extent>& extents) {
    ExtentMap m;
    for (const Extent& x : extents) m.add(x.pos, x.len);
    return m;
}

}  // namespace netfs::cache
