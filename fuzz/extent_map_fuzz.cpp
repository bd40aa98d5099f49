// The cache's ExtentMap against a model (one bit per byte of a 1 KiB window, shifted by a
// base the input picks, so large offsets are covered too): add() and clear() as the input
// says, then every query (bytes, covers, missing, next_present, to_vector, from) must agree.
#include <fuzzer/FuzzedDataProvider.h>

#include <bitset>

#include "netfs/cache/extent_map.hpp"
#include "fuzz_common.hpp"

namespace cache = netfs::cache;

namespace {
constexpr size_t window = 1024;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    FuzzedDataProvider in(data, size);
    const uint64_t base = in.ConsumeBool() ? 0 : (~uint64_t{0} - window) & ~uint64_t{0xFFF};
    cache::ExtentMap map;
    std::bitset<window> model;
    while (in.remaining_bytes() > 0) {
        const int op = in.ConsumeIntegralInRange<int>(0, 9);
        const uint64_t pos = in.ConsumeIntegralInRange<uint64_t>(0, window - 1);
        const uint64_t len = in.ConsumeIntegralInRange<uint64_t>(0, window - pos);
        if (op == 0) {
            map.clear();
            model.reset();
        } else if (op <= 5) {
            map.add(base + pos, len);
            for (uint64_t i = pos; i < pos + len; ++i) model.set(i);
        } else {
            uint64_t missing = 0;
            for (uint64_t i = pos; i < pos + len; ++i) missing += !model.test(i);
            FUZZ_CHECK(map.missing(base + pos, len) == missing);
            FUZZ_CHECK(map.covers(base + pos, len) == (missing == 0));
            auto next = map.next_present(base + pos);
            uint64_t i = pos;
            while (i < window && !model.test(i)) ++i;
            if (i == window) {
                FUZZ_CHECK(!next.has_value());
            } else {
                FUZZ_CHECK(next.has_value());
                FUZZ_CHECK(next->pos <= base + i && next->pos + next->len > base + i);
            }
        }
        FUZZ_CHECK(map.bytes() == model.count());
        FUZZ_CHECK(map.empty() == model.none());
    }
    // The stored form rebuilds the same map.
    auto v = map.to_vector();
    auto again = cache::ExtentMap::from(v).to_vector();
    FUZZ_CHECK(again.size() == v.size());
    for (size_t i = 0; i < v.size(); ++i) FUZZ_CHECK(again[i].pos == v[i].pos && again[i].len == v[i].len);
    std::bitset<window> rebuilt;
    for (const auto& e : v) {
        FUZZ_CHECK(e.pos >= base && e.pos + e.len <= base + window && e.len > 0);
        for (uint64_t i = e.pos - base; i < e.pos - base + e.len; ++i) rebuilt.set(i);
    }
    FUZZ_CHECK(rebuilt == model);
    return 0;
}
