// Error values of netfs-core. Adapters report their own errors (9P errnos, AFS aborts)
// through Subrequest::terminate; netfs-core adds only what it detects itself.
#pragma once

#include <system_error>

#include <tl/expected.hpp>

namespace netfs {

template <class T>
using result = tl::expected<T, std::error_code>;

inline tl::unexpected<std::error_code> fail(std::error_code ec) { return tl::unexpected<std::error_code>(ec); }

enum class errc {
    no_progress = 1,       // a subrequest was retried without moving a byte, too many times
    too_many_retries,      // a subrequest was retried more times than allowed
    short_write,           // an adapter reported more bytes than it was asked to write
    stream_unavailable,    // the upload stream could not be started for this request
    retry,                 // adapters may fail with this to ask for a retry whatever the cause
    cancelled,             // the request was abandoned (context shutting down)
    remote_changed,        // the remote file ended before its known size: it changed while being read
    cache_not_private,     // the cache directory is another user's, or group/others may write to it
};

const std::error_category& category() noexcept;
inline std::error_code make_error_code(errc e) noexcept { return {static_cast<int>(e), category()}; }

}  // namespace netfs

template <>
struct std::is_error_code_enum<netfs::errc> : std::true_type {};
