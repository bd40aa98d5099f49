// What a protocol (or the cache) implements to receive a stream's subrequests.
#pragma once

#include <cstdint>
#include <span>
#include <system_error>

#include "netfs/limits.hpp"
#include "netfs/request.hpp"

namespace netfs {

enum class RetryDecision { retry, fail };

class StreamBackend {
public:
    virtual ~StreamBackend() = default;
    virtual StreamKind kind() const = 0;
    virtual const char* name() const { return "backend"; }

    // Called once per request, lazily, before this stream's first subrequest: obtain
    // credentials or a handle, store them in req.adapter_data. A request that holds only
    // copy-to-cache data never calls the upload backend. An error makes the stream fail
    // for this request (an upload failure reaches fsync).
    virtual std::error_code begin_request(WriteRequest& /*req*/, uint8_t /*stream*/) { return {}; }

    // Sets the limits of the subrequest about to be filled from sreq.start() (also for
    // each piece the retryer re-divides). May block, e.g. for credits. An error fails the
    // subrequest.
    virtual std::error_code prepare_write(Subrequest& sreq, Limits& limits) = 0;

    // Starts writing [sreq.position(), +sreq.remaining()) from sreq.gather(...). Must call
    // sreq.terminate(...) exactly once, from any thread, possibly before returning.
    virtual void issue_write(Subrequest& sreq) = 0;

    // Called by the retryer, once the stream has no subrequest in flight, before failed
    // spans are re-divided: switch keys, renegotiate credits, reconnect. `cause` is the
    // error of the first subrequest that needs the retry. Returning fail fails the stream.
    virtual RetryDecision retry_request(WriteRequest& /*req*/, uint8_t /*stream*/, std::error_code /*cause*/) {
        return RetryDecision::retry;
    }

    // The request is over for this stream; `error` is its outcome.
    virtual void end_request(WriteRequest& /*req*/, uint8_t /*stream*/, std::error_code /*error*/) {}

    // Cache streams only: writing failed, so what the cache holds for this file cannot be
    // trusted. Optional (the default does nothing).
    virtual void invalidate_cache(WriteRequest& /*req*/, uint8_t /*stream*/) {}
};

// Content transformation between packaging and issuing (encryption, compression...).
// When a file has a transformer, every subrequest, once cut, is held until the
// transformer calls sreq.set_transformed(bytes) then sreq.transform_done(); only then is
// it issued, with gather() returning the transformed bytes. Retried pieces are transformed
// again. discard() is called when the engine no longer needs a subrequest's buffer.
class Transformer {
public:
    virtual ~Transformer() = default;
    // `plain` holds the page data for [sreq.position(), +sreq.remaining()).
    virtual void transform(Subrequest& sreq, std::span<const std::span<const std::byte>> plain) = 0;
    virtual void discard(Subrequest& sreq) = 0;
};

}  // namespace netfs
