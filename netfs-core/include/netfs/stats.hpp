// Counters of the write engine, readable through the API (netcp --stats prints them).
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <string>

#include "netfs/limits.hpp"

namespace netfs {

struct StreamCounters {
    uint64_t issued = 0;        // subrequests issued for the first time
    uint64_t completed = 0;     // subrequests that ended with all their bytes written
    uint64_t failed = 0;        // subrequests that ended failed
    uint64_t retried = 0;       // subrequests reissued by the retryer (pieces after re-division)
    uint64_t short_writes = 0;  // terminations with fewer bytes than asked
    uint64_t bytes = 0;         // bytes acknowledged by the stream
};

struct Stats {
    std::array<StreamCounters, max_streams> streams{};
    uint64_t requests = 0, requests_failed = 0;
    uint64_t collector_passes = 0;
    uint64_t folios_ended = 0, folios_redirtied = 0;
    uint64_t retry_passes = 0;             // times the retryer ran
    uint64_t throttle_waits = 0;           // issuer waits on in-flight bytes
    uint64_t dirty_waits = 0;              // writer waits on the dirty limit
    uint64_t writeback_waits = 0;          // writer waits on a folio under writeback
    uint64_t wb_lock_skips = 0, wb_lock_waits = 0;
    uint64_t held_for_transform = 0;       // subrequests held until their transformed data was ready

    // "stream 0: 16384 issued, 16384 completed, 0 failed, 0 retried, 1073741824 bytes" lines.
    std::string to_string(size_t nr_streams) const;
};

// The live counters; snapshot() copies them into a Stats.
class StatsCounters {
public:
    struct Stream {
        std::atomic<uint64_t> issued{0}, completed{0}, failed{0}, retried{0}, short_writes{0}, bytes{0};
    };
    std::array<Stream, max_streams> streams;
    std::atomic<uint64_t> requests{0}, requests_failed{0}, collector_passes{0}, folios_ended{0},
        folios_redirtied{0}, retry_passes{0}, throttle_waits{0}, dirty_waits{0}, writeback_waits{0},
        wb_lock_skips{0}, wb_lock_waits{0}, held_for_transform{0};

    Stats snapshot() const;
};

}  // namespace netfs
