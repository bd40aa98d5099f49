#include "cache_command.hpp"

#include <sys/stat.h>

#include <algorithm>
#include <cstdio>
#include <ctime>
#include <string>

#include "exit_codes.hpp"
#include "netfs/cache/cache.hpp"

namespace netcp {

namespace {

std::string size_text(uint64_t bytes, bool exact) {
    if (exact || bytes < 1024) return std::to_string(bytes) + (exact ? "" : " B");
    static const char* units[] = {"KiB", "MiB", "GiB", "TiB", "PiB"};
    double v = static_cast<double>(bytes);
    int u = -1;
    while (v >= 1024 && u < 4) {
        v /= 1024;
        ++u;
    }
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.1f %s", v, units[u]);
    return buf;
}

std::string time_text(int64_t unix_seconds) {
    if (unix_seconds <= 0) return "-";
    const std::time_t t = static_cast<std::time_t>(unix_seconds);
    std::tm tm{};
    ::localtime_r(&t, &tm);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S", &tm);
    return buf;
}

}  // namespace

int run_cache_command(const CacheCommand& cmd) {
    // Looking must not create: a mistyped directory is an error, not a new empty cache.
    struct stat st {};
    if (::stat(cmd.dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
        std::fprintf(stderr, "netcp: '%s' is not a cache directory (no such directory)\n", cmd.dir.c_str());
        return exit_not_found;
    }
    // No size limit: opening the cache to look at it must not cull anything.
    auto cache = netfs::cache::Cache::open(cmd.dir, {});
    if (!cache) {
        std::fprintf(stderr, "netcp: cannot open the cache '%s': %s\n", cmd.dir.c_str(),
                     cache.error().message().c_str());
        return exit_error;
    }
    auto& c = **cache;
    if (cmd.action == "clear") {
        auto n = c.clear();
        if (!n) {
            std::fprintf(stderr, "netcp: cannot clear the cache '%s': %s\n", cmd.dir.c_str(),
                         n.error().message().c_str());
            return exit_error;
        }
        const auto left = c.stats().entries;
        std::printf("removed %zu entries from %s", *n, cmd.dir.c_str());
        if (left > 0) std::printf(" (%llu in use by another netcp, kept)", static_cast<unsigned long long>(left));
        std::printf("\n");
        return exit_ok;
    }
    if (cmd.action == "list") {
        auto entries = c.list();
        std::sort(entries.begin(), entries.end(),
                  [](const auto& a, const auto& b) { return a.last_used > b.last_used; });  // most recent first
        std::printf("%-19s  %10s  %10s  %-6s  %s\n", "LAST USED", "CACHED", "SIZE", "STATE", "FILE");
        for (const auto& e : entries) {
            std::printf("%-19s  %10s  %10s  %-6s  %s %s %s\n", time_text(e.last_used).c_str(),
                        size_text(e.cached_bytes, cmd.bytes).c_str(), size_text(e.coherency.size, cmd.bytes).c_str(),
                        e.in_use ? "in-use" : e.cached_bytes >= e.coherency.size ? "whole" : "part",
                        e.key.server.c_str(), e.key.volume.c_str(), e.key.file.c_str());
        }
        return exit_ok;
    }
    const auto s = c.stats();
    std::printf("cache:        %s\n", cmd.dir.c_str());
    std::printf("entries:      %llu\n", static_cast<unsigned long long>(s.entries));
    std::printf("cached data:  %s\n", size_text(s.cached_bytes, cmd.bytes).c_str());
    std::printf("disk used:    %s\n", size_text(s.backing_bytes, cmd.bytes).c_str());
    return exit_ok;
}

}  // namespace netcp
