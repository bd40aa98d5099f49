// Names that come from a directory listing (a server's, or the local one being uploaded)
// become one path component on the other side. A name that is not exactly one component
// could reach outside the destination or overwrite another entry, so it is refused.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace netcp {

// Why `name` cannot be used as one path component, or nullopt if it can: empty, "." or
// "..", a '/' or NUL inside, or longer than NAME_MAX (255 bytes).
std::optional<std::string> unsafe_name_reason(std::string_view name);

// `text` with control characters and invalid bytes shown as \xNN, so that a name from a
// server cannot move the cursor, clear the screen or fake another line in a message.
std::string printable(std::string_view text);

}  // namespace netcp
