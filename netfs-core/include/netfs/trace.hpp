// Structured trace events: every subrequest prepared, issued, terminated, retried or
// discarded, every folio ended or redirtied, every collector pass. Off by default and
// one branch when off; netcp --trace FILE writes them as JSON lines.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>

namespace netfs {

enum class TraceEvent : uint8_t {
    request_create,    // value = origin
    request_complete,  // value = error (0 = success)
    request_pause,
    request_unpause,
    sreq_prepare,      // start, len = 0
    sreq_issue,        // start, len
    sreq_held,         // waiting for its transformed data
    sreq_terminate,    // value = bytes written, or -errno
    sreq_retry,        // reissued piece: start, len; value = retry count
    sreq_discard,      // a struct no longer needed after re-division
    sreq_fail,         // value = error
    collect_pass,      // value = the request's collected_to
    folio_start,       // a folio entered a request: start = data pos, len = data length
    folio_end,         // start = folio pos, len = folio size
    folio_redirty,     // writeback failed for it: left dirty
    throttle,          // the issuer waited for in-flight bytes
};

const char* to_string(TraceEvent e);

struct TraceRecord {
    TraceEvent event;
    uint64_t request = 0;     // request id
    uint64_t sreq = 0;        // subrequest index within the request (0: none)
    int stream = -1;
    uint64_t start = 0, len = 0;
    int64_t value = 0;
    std::chrono::steady_clock::time_point when;
};

using TraceSink = std::function<void(const TraceRecord&)>;

// One JSON object per record, for --trace files.
std::string to_json(const TraceRecord& r);

}  // namespace netfs
