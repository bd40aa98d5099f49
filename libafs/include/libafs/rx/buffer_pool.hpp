// Recycled byte vectors, so that a call moving gigabytes does not allocate per packet:
// packets taken from the pool keep their capacity when given back.
#pragma once

#include <cstddef>
#include <vector>

namespace afs::rx {

class BufferPool {
public:
    // Buffers handed out have at least `reserve` bytes of capacity; at most `max_cached`
    // are kept for reuse.
    explicit BufferPool(size_t reserve = 2048, size_t max_cached = 4096) : reserve_(reserve), max_cached_(max_cached) {}

    std::vector<std::byte> take() {
        if (free_.empty()) {
            std::vector<std::byte> v;
            v.reserve(reserve_);
            return v;
        }
        std::vector<std::byte> v = std::move(free_.back());
        free_.pop_back();
        return v;
    }

    void give(std::vector<std::byte>&& v) {
        if (free_.size() >= max_cached_ || v.capacity() == 0) return;
        v.clear();
        free_.push_back(std::move(v));
    }

    size_t cached() const { return free_.size(); }

private:
    size_t reserve_;
    size_t max_cached_;
    std::vector<std::vector<std::byte>> free_;
};

}  // namespace afs::rx
