// --checksum: whether a destination file already holds the source's bytes. Neither 9P
// nor AFS can hash a file on the server, so the server's copy is read back (into a
// private temporary file) and both sides are hashed with SHA-256 (OpenSSL).
#pragma once

#include <string>
#include <string_view>

#include <tl/expected.hpp>

namespace netcp {

// The SHA-256 of what `fd` holds from its start to its end, in hex; the error says why not.
tl::expected<std::string, std::string> sha256_of_file(int fd);
// The SHA-256 of `bytes`, in hex (names derived from a key: resume journals).
std::string sha256_hex(std::string_view bytes);

}  // namespace netcp
