#include "netfs/trace.hpp"

#include <sstream>

#include "netfs/request.hpp"

namespace netfs {

const char* to_string(TraceEvent e) {
    switch (e) {
        case TraceEvent::request_create: return "request_create";
        case TraceEvent::request_complete: return "request_complete";
        case TraceEvent::request_pause: return "request_pause";
        case TraceEvent::request_unpause: return "request_unpause";
        case TraceEvent::sreq_prepare: return "sreq_prepare";
        case TraceEvent::sreq_issue: return "sreq_issue";
        case TraceEvent::sreq_held: return "sreq_held";
        case TraceEvent::sreq_terminate: return "sreq_terminate";
        case TraceEvent::sreq_retry: return "sreq_retry";
        case TraceEvent::sreq_discard: return "sreq_discard";
        case TraceEvent::sreq_fail: return "sreq_fail";
        case TraceEvent::collect_pass: return "collect_pass";
        case TraceEvent::folio_start: return "folio_start";
        case TraceEvent::folio_end: return "folio_end";
        case TraceEvent::folio_redirty: return "folio_redirty";
        case TraceEvent::throttle: return "throttle";
    }
    return "unknown";
}

const char* to_string(Origin o) {
    switch (o) {
        case Origin::writeback: return "writeback";
        case Origin::write_through: return "write_through";
        case Origin::unbuffered_write: return "unbuffered_write";
        case Origin::copy_to_cache: return "copy_to_cache";
    }
    return "unknown";
}

std::string to_json(const TraceRecord& r) {
    std::ostringstream os;
    os << "{\"t_us\":" << std::chrono::duration_cast<std::chrono::microseconds>(r.when.time_since_epoch()).count()
       << ",\"event\":\"" << to_string(r.event) << "\",\"req\":" << r.request;
    if (r.sreq) os << ",\"sreq\":" << r.sreq;
    if (r.stream >= 0) os << ",\"stream\":" << r.stream;
    os << ",\"start\":" << r.start << ",\"len\":" << r.len << ",\"value\":" << r.value << "}";
    return os.str();
}

}  // namespace netfs
