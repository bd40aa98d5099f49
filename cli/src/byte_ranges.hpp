// The byte ranges of a file that have arrived, in any order, merged: where a download
// must start reading again after a lost connection, and how far from the start a
// resumable transfer's other side holds every byte.
#pragma once

#include <cstdint>
#include <iterator>
#include <map>

namespace netcp {

class ByteRanges {
public:
    void add(uint64_t pos, uint64_t len) {
        uint64_t begin = pos, end = pos + len;
        auto it = ranges_.upper_bound(begin);
        if (it != ranges_.begin() && std::prev(it)->second >= begin) --it;
        while (it != ranges_.end() && it->first <= end) {
            begin = std::min(begin, it->first);
            end = std::max(end, it->second);
            it = ranges_.erase(it);
        }
        ranges_.emplace(begin, end);
    }
    // The lowest byte not there yet: every byte before it is.
    uint64_t first_gap() const {
        auto it = ranges_.begin();
        return it != ranges_.end() && it->first == 0 ? it->second : 0;
    }

private:
    std::map<uint64_t, uint64_t> ranges_;  // begin -> end, disjoint and not touching
};

}  // namespace netcp
