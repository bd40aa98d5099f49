// --files-from: the list of paths a script hands netcp, read as rsync and rclone read it.
// Each path is relative to the source directory (a leading '/' is dropped, "." and empty
// components are ignored); a path with a ".." component could name something outside the
// source and the destination, so it is refused, never followed.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include <tl/expected.hpp>

namespace netcp {

struct FileList {
    // Each accepted path as its components ("a/b/c" -> {"a","b","c"}), in list order.
    std::vector<std::vector<std::string>> paths;
    // Entries refused, each with why ("'../x': a '..' component would leave the source").
    std::vector<std::string> refused;
};

// Splits `data` into entries: lines (a trailing '\r' is kept: it may be a name's) with
// blank lines and lines starting with '#' or ';' ignored, or with `nul`, NUL-separated
// entries taken exactly as they are (only empty ones are ignored).
FileList parse_file_list(std::string_view data, bool nul);

// Reads the list from `path` ("-": standard input) and parses it; the error says why it
// could not be read.
tl::expected<FileList, std::string> read_file_list(const std::string& path, bool nul);

}  // namespace netcp
