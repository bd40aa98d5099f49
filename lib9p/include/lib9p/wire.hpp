// Pure encode/decode of 9P2000.L frames: bytes in, values out, no I/O, no global state.
//
// Decoding is strict. A frame whose size field lies, whose fields run past its end,
// that leaves bytes unread, that carries an unknown type, or that names more than 16
// walk elements gives an error; the decoder never reads outside the span it is given.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "lib9p/error.hpp"
#include "lib9p/message.hpp"

namespace p9 {

struct Frame {
    uint16_t tag = notag;
    Message msg;
};

// Appends one whole frame (size, type, tag, fields) to `out`.
// Fails if a string is longer than 65535 bytes, a walk has more than 16 elements, or a
// payload is longer than 4 GiB; `out` is left as it was on failure.
[[nodiscard]] std::error_code encode(std::vector<std::byte>& out, uint16_t tag, const Message& msg);
[[nodiscard]] result<std::vector<std::byte>> encode(uint16_t tag, const Message& msg);

// The fixed 23-byte header of a Twrite whose `count` payload bytes are sent separately
// (scatter/gather: the payload goes straight from the caller's buffers to the socket).
std::array<std::byte, twrite_header_size> encode_twrite_header(uint16_t tag, uint32_t fid, uint64_t offset,
                                                               uint32_t count);

// Reads the size field of a frame from its first 4 bytes and checks it against the
// header size and `max_size` (the negotiated msize). Returns the whole frame's size.
[[nodiscard]] result<uint32_t> frame_size(std::span<const std::byte> first4, uint32_t max_size);

// Decodes exactly one frame. `frame` must be the whole frame, size field included.
// Payload views in the result point into `frame`.
[[nodiscard]] result<Frame> decode(std::span<const std::byte> frame);

// Rreaddir payloads.
[[nodiscard]] result<std::vector<Dirent>> decode_dirents(std::span<const std::byte> data);
[[nodiscard]] std::error_code encode_dirent(std::vector<std::byte>& out, const Dirent& d);

// True for a name that may be sent as one walk element or created in a directory.
bool is_valid_name(std::string_view name);

// A one-line human rendering of a message, for traces and test diagnostics
// ("Twalk fid=1 newfid=2 wnames=[a, b]"); payloads are shown by length only.
std::string to_string(const Message& msg);
std::string to_string(MsgType type);

}  // namespace p9
