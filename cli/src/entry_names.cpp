#include "entry_names.hpp"

#include <climits>
#include <cstdio>

namespace netcp {

std::optional<std::string> unsafe_name_reason(std::string_view name) {
    if (name.empty()) return "the name is empty";
    if (name == "." || name == "..") return "'" + std::string(name) + "' names a directory itself, not an entry";
    if (name.find('/') != std::string_view::npos) return "the name contains '/'";
    if (name.find('\0') != std::string_view::npos) return "the name contains a NUL byte";
    if (name.size() > NAME_MAX)
        return "the name is " + std::to_string(name.size()) + " bytes long (at most " + std::to_string(NAME_MAX) +
               " fit in a file name)";
    return std::nullopt;
}

std::string printable(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    for (unsigned char c : text) {
        if (c < 0x20 || c == 0x7f) {
            char hex[5];
            std::snprintf(hex, sizeof hex, "\\x%02x", c);
            out += hex;
        } else {
            out += static_cast<char>(c);
        }
    }
    return out;
}

}  // namespace netcp
