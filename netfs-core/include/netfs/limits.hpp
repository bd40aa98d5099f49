// Compile-time bounds and the per-subrequest limits an adapter sets.
#pragma once

#include <cstddef>
#include <cstdint>
#include <limits>

namespace netfs {

// Streams per request: 0 uploads to the server, 1 writes the local cache, 2.. mirror the
// upload to other servers. Nothing in the engine assumes exactly two.
inline constexpr size_t max_streams = 8;
inline constexpr uint8_t upload_stream = 0;
inline constexpr uint8_t cache_stream = 1;

// Scatter/gather pieces one subrequest may span (one per folio, or per buffer piece).
inline constexpr uint32_t max_segments = 64;

inline constexpr uint64_t no_limit = std::numeric_limits<uint64_t>::max();

// Set by a stream's prepare_write for the subrequest about to be filled.
struct Limits {
    uint64_t max_len = no_limit;       // bytes one subrequest may carry (9P: msize - 24)
    uint32_t max_segs = max_segments;  // scatter/gather pieces (capped at max_segments)
    // A file position the subrequest must not cross (e.g. an object edge); the piece that
    // ends there is marked as a boundary and never merged across during a retry.
    uint64_t boundary = no_limit;
};

}  // namespace netfs
