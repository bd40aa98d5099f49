// Where buffered reads get data the page cache does not have: the server (a ReadBackend)
// and, first, the local cache.
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <system_error>

namespace netfs {

class ReadBackend {
public:
    virtual ~ReadBackend() = default;
    // The largest read one call should ask for (9P: msize - 24).
    virtual uint64_t max_read() const = 0;
    // Reads up to dst.size() bytes at pos into dst and calls done(error, bytes) exactly
    // once, from any thread. A server may legally answer with fewer bytes than asked
    // (9P: only a count of 0 means the end of the file), so netfs asks again for the rest;
    // 0 bytes before the size the file had when the read began is errc::remote_changed,
    // never zeros.
    virtual void read(uint64_t pos, std::span<std::byte> dst, std::function<void(std::error_code, size_t)> done) = 0;
};

struct ReadStats {
    uint64_t from_server = 0;    // bytes read from the server
    uint64_t from_cache = 0;     // bytes read from the local cache
    uint64_t server_reads = 0;   // ReadBackend::read calls
    uint64_t cache_skipped = 0;  // bytes not sent to the cache because it fell behind
};

}  // namespace netfs
