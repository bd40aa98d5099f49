#include "netfs/stats.hpp"

#include <sstream>

namespace netfs {

Stats StatsCounters::snapshot() const {
    Stats s;
    for (size_t i = 0; i < max_streams; ++i) {
        s.streams[i] = {streams[i].issued.load(), streams[i].completed.load(), streams[i].failed.load(),
                        streams[i].retried.load(), streams[i].short_writes.load(), streams[i].bytes.load()};
    }
    s.requests = requests.load();
    s.requests_failed = requests_failed.load();
    s.collector_passes = collector_passes.load();
    s.folios_ended = folios_ended.load();
    s.folios_redirtied = folios_redirtied.load();
    s.retry_passes = retry_passes.load();
    s.throttle_waits = throttle_waits.load();
    s.dirty_waits = dirty_waits.load();
    s.writeback_waits = writeback_waits.load();
    s.wb_lock_skips = wb_lock_skips.load();
    s.wb_lock_waits = wb_lock_waits.load();
    s.held_for_transform = held_for_transform.load();
    return s;
}

std::string Stats::to_string(size_t nr_streams) const {
    std::ostringstream os;
    static const char* names[] = {"upload", "cache", "mirror"};
    for (size_t i = 0; i < nr_streams && i < max_streams; ++i) {
        const auto& c = streams[i];
        os << "stream " << i << " (" << names[i < 2 ? i : 2] << "): " << c.issued << " issued, " << c.completed
           << " completed, " << c.failed << " failed, " << c.retried << " retried, " << c.short_writes
           << " short, " << c.bytes << " bytes\n";
    }
    os << "requests: " << requests << " (" << requests_failed << " failed), collector passes: " << collector_passes
       << ", retry passes: " << retry_passes << "\n";
    os << "folios: " << folios_ended << " written back, " << folios_redirtied << " redirtied; waits: "
       << throttle_waits << " in-flight, " << dirty_waits << " dirty limit, " << writeback_waits
       << " folio writeback\n";
    return os.str();
}

}  // namespace netfs
