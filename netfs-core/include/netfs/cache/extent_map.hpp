// Which byte ranges of a file are present: disjoint, non-adjacent [begin, end) ranges
// (adjacent or overlapping additions merge). The cache records with it which ranges of a
// backing file hold data; netcp, which ranges of a transfer have arrived.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <vector>

#include "netfs/cache/cache.hpp"

namespace netfs::cache {

class ExtentMap {
public:
    void add(uint64_t pos, uint64_t len);
    void clear();
    // The first extent that ends after pos (it may start before pos).
    std::optional<Extent> next_present(uint64_t pos) const;
    bool covers(uint64_t pos, uint64_t len) const;
    // Bytes present from 0 without a gap: where a copy that must not skip any starts again.
    uint64_t prefix() const;
    // Bytes of [pos, pos + len) that are not present.
    uint64_t missing(uint64_t pos, uint64_t len) const;
    uint64_t bytes() const { return bytes_; }
    bool empty() const { return ranges_.empty(); }
    std::vector<Extent> to_vector() const;
    // From a stored list (any order, overlaps allowed): the same as adding each.
    static ExtentMap from(const std::vector<Extent>& extents);

private:
    std::map<uint64_t, uint64_t> ranges_;  // begin -> end
    uint64_t bytes_ = 0;
};

}  // namespace netfs::cache
