// SRC and DST operands: a local path, or a URL 9p://[UNAME@]HOST[:PORT]/PATH or
// afs://CELL/PATH (meaning /afs/CELL/PATH).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include <tl/expected.hpp>

namespace netcp {

struct Location {
    enum class Kind { local, ninep, afs };
    Kind kind = Kind::local;
    std::string path;          // local: as given; 9p: within the export, "a/b" ("" is the export root)
    std::string host;          // 9p: name or address (IPv6 without brackets); may be empty with --unix-socket;
                               // afs: the cell (lower case)
    uint16_t port = 564;
    std::string uname;         // from 9p://UNAME@HOST, empty if not given
    bool trailing_slash = false;  // "DST/" means "must be a directory"
    std::string text;          // the operand as the user wrote it, for messages

    bool is_remote() const { return kind != Kind::local; }
};

// Parses one operand. Anything that does not start with SCHEME:// is a local path.
// Percent-escapes (%20) in a URL's path are decoded.
tl::expected<Location, std::string> parse_location(std::string_view operand);

// A remote location with `name` appended to its path (for recursion and messages).
Location child(const Location& parent, std::string_view name);

// "9p://HOST:PORT/path", "afs://CELL/path" (or the local path) for messages.
std::string describe(const Location& loc);

}  // namespace netcp
