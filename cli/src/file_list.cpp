#include "file_list.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace netcp {

namespace {

// One entry: its components, or why it is refused.
void add_entry(FileList& out, std::string_view entry) {
    std::vector<std::string> parts;
    size_t i = 0;
    while (i <= entry.size()) {
        const size_t slash = std::min(entry.find('/', i), entry.size());
        const std::string_view part = entry.substr(i, slash - i);
        i = slash + 1;
        if (part.empty() || part == ".") continue;
        if (part == "..") {
            out.refused.push_back("'" + std::string(entry) + "': a '..' component would leave the source directory");
            return;
        }
        parts.emplace_back(part);
    }
    if (parts.empty()) {
        out.refused.push_back("'" + std::string(entry) + "': names the source directory itself, not a path in it");
        return;
    }
    out.paths.push_back(std::move(parts));
}

}  // namespace

FileList parse_file_list(std::string_view data, bool nul) {
    FileList out;
    const char sep = nul ? '\0' : '\n';
    size_t i = 0;
    while (i < data.size()) {
        size_t end = data.find(sep, i);
        if (end == std::string_view::npos) end = data.size();
        const std::string_view entry = data.substr(i, end - i);
        i = end + 1;
        if (entry.empty()) continue;
        if (!nul && (entry.front() == '#' || entry.front() == ';')) continue;
        add_entry(out, entry);
    }
    return out;
}

tl::expected<FileList, std::string> read_file_list(const std::string& path, bool nul) {
    const bool stdin_list = path == "-";
    const int fd = stdin_list ? STDIN_FILENO : ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return tl::unexpected("cannot open the --files-from list '" + path + "': " + std::strerror(errno));
    std::string data;
    char buf[65536];
    std::string error;
    for (;;) {
        const ssize_t n = ::read(fd, buf, sizeof buf);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) {
            error = "cannot read the --files-from list '" + path + "': " + std::strerror(errno);
            break;
        }
        if (n == 0) break;
        data.append(buf, static_cast<size_t>(n));
        // A list is names, not data: refuse one that could exhaust memory.
        if (data.size() > (256u << 20)) {
            error = "the --files-from list '" + path + "' is larger than 256 MiB";
            break;
        }
    }
    if (!stdin_list) ::close(fd);
    if (!error.empty()) return tl::unexpected(error);
    return parse_file_list(data, nul);
}

}  // namespace netcp
