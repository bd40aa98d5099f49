// The cache's metadata records, read back from disk where a crash or another process may
// have left anything: decode() must refuse what is not a whole intact record, and a record
// that decodes encodes back to exactly the same bytes. Its extents then build the
// ExtentMap the cache serves from, whose invariants are checked.
#include <cstring>

#include "netfs/cache/extent_map.hpp"
#include "fuzz_common.hpp"
#include "record.hpp"

namespace cache = netfs::cache;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    auto r = cache::decode(netcp_fuzz::bytes(data, size));
    if (!r) return 0;
    auto bytes = cache::encode(*r);
    FUZZ_CHECK(bytes.size() == size);
    FUZZ_CHECK(std::memcmp(bytes.data(), data, size) == 0);
    auto map = cache::ExtentMap::from(r->extents);
    uint64_t total = 0, last_end = 0;
    bool first = true;
    for (const auto& e : map.to_vector()) {
        FUZZ_CHECK(e.len > 0);
        FUZZ_CHECK(first || e.pos > last_end);  // disjoint and not adjacent
        FUZZ_CHECK(e.pos + e.len > e.pos);
        total += e.len;
        last_end = e.pos + e.len;
        first = false;
        FUZZ_CHECK(map.covers(e.pos, e.len));
    }
    FUZZ_CHECK(total == map.bytes());
    return 0;
}
