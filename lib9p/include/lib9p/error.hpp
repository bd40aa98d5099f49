// Error values for lib9p: codec errors, session/transport errors, and server errors.
//
// A server's Rlerror carries a Linux errno; lib9p turns it into
// std::error_code(errno, std::generic_category()), so callers compare it with
// std::errc::no_such_file_or_directory and print readable messages for free.
// Everything lib9p itself detects uses p9::errc in p9::category().
#pragma once

#include <string>
#include <system_error>

#include <tl/expected.hpp>

namespace p9 {

template <class T>
using result = tl::expected<T, std::error_code>;

inline tl::unexpected<std::error_code> fail(std::error_code ec) { return tl::unexpected<std::error_code>(ec); }

enum class errc {
    // Codec: the bytes are not a well-formed 9P2000.L message.
    truncated = 1,       // the frame ends before its fields do
    bad_size,            // the size field is below the 7-byte header or disagrees with the frame
    trailing_bytes,      // the fields end before the frame does
    message_too_large,   // larger than the negotiated msize
    string_too_long,     // a string does not fit the 16-bit length prefix
    too_many_elements,   // a walk with more than 16 names or qids
    unknown_type,        // a message type 9P2000.L does not define
    invalid_name,        // a path element that is empty, "/"-containing, "." or ".."
    // Session and transport.
    unexpected_reply,    // a reply of the wrong type, or for a tag nobody is waiting on
    version_mismatch,    // the server does not speak 9P2000.L
    msize_too_small,     // the server offered an msize too small to carry any data
    connection_closed,   // the server closed the connection
    not_connected,       // the connection failed earlier or was never made
    timed_out,           // no reply within the request timeout (the request was flushed)
    cancelled,           // the caller cancelled the request (it was flushed)
    short_transfer,      // the server moved fewer bytes than asked and no more will come
    protocol_violation,  // the server broke the protocol (for example an Rwrite count above the request)
    endless_listing,     // a directory listing did not end (a cookie repeated, or beyond any real size)
    // Authentication (lib9p/auth.hpp).
    auth_not_offered,    // authentication was required but the server refused Tauth
    auth_refused,        // the server refused the attach the credential was meant to authenticate
};

const std::error_category& category() noexcept;

inline std::error_code make_error_code(errc e) noexcept { return {static_cast<int>(e), category()}; }

// Turns an Rlerror errno into an error code comparable with std::errc.
inline std::error_code server_error(uint32_t ecode) noexcept {
    return {static_cast<int>(ecode), std::generic_category()};
}

}  // namespace p9

template <>
struct std::is_error_code_enum<p9::errc> : std::true_type {};
