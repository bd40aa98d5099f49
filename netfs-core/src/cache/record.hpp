// The metadata record stored next to each backing file: the full key (the file name is
// only its hash), the coherency the data belongs to, the present extents, when the entry
// was last used, and the in-use mark. Binary, versioned, with a checksum so that a record
// a crash left empty or half written is rejected instead of trusted.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "netfs/cache/cache.hpp"
#include "netfs/error.hpp"

namespace netfs::cache {

struct Record {
    Key key;
    Coherency coherency;
    std::vector<Extent> extents;  // ascending, disjoint
    int64_t last_used_ns = 0;     // Unix time
    bool in_use = false;          // set before the backing file is modified, cleared by commit
};

std::vector<std::byte> encode(const Record& r);
// std::errc::bad_message when the bytes are not a whole, intact record of this version.
result<Record> decode(std::span<const std::byte> bytes);

}  // namespace netfs::cache
