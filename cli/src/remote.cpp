#include "remote.hpp"

#include <random>

#include "afs_remote.hpp"
#include "remote_fs.hpp"

namespace netcp {

tl::expected<std::unique_ptr<Remote>, Failure> open_remote(const Options& options, const Location& loc) {
    if (loc.kind == Location::Kind::afs) {
        auto r = AfsRemote::open(options, loc);
        if (!r) return tl::unexpected(r.error());
        return std::unique_ptr<Remote>(std::move(*r));
    }
    auto r = RemoteFs::open(options, loc);
    if (!r) return tl::unexpected(r.error());
    return std::unique_ptr<Remote>(std::move(*r));
}

std::pair<std::string, std::string> split_parent(const std::string& path) {
    auto slash = path.rfind('/');
    if (slash == std::string::npos) return {"", path};
    return {path.substr(0, slash), path.substr(slash + 1)};
}

std::string partial_name(const std::string& name) {
    static thread_local std::mt19937_64 rng{std::random_device{}()};
    static const char* digits = "abcdefghijklmnopqrstuvwxyz0123456789";
    std::string suffix;
    for (int i = 0; i < 6; ++i) suffix += digits[rng() % 36];
    // Stay within NAME_MAX (255) whatever the length of the final name.
    return "." + name.substr(0, 200) + ".netcp-" + suffix + ".partial";
}

bool is_partial_name(const std::string& tmp, const std::string& name) {
    const std::string head = "." + name.substr(0, 200) + ".netcp-";
    const std::string tail = ".partial";
    if (tmp.size() != head.size() + 6 + tail.size() || tmp.compare(0, head.size(), head) != 0 ||
        tmp.compare(tmp.size() - tail.size(), tail.size(), tail) != 0)
        return false;
    for (size_t i = head.size(); i < head.size() + 6; ++i)
        if (!((tmp[i] >= 'a' && tmp[i] <= 'z') || (tmp[i] >= '0' && tmp[i] <= '9'))) return false;
    return true;
}

uint32_t target_mode(uint32_t source_mode, bool preserve) {
    uint32_t perms = source_mode & 07777;
    if (preserve) return perms;
    const mode_t mask = ::umask(0);
    ::umask(mask);
    return perms & ~static_cast<uint32_t>(mask) & 0777;
}

}  // namespace netcp
