#include "json_events.hpp"

#include <ctime>

#include <nlohmann/json.hpp>

namespace netcp::json_events {
namespace {

using nlohmann::json;

// Names are bytes, not always UTF-8; JSON strings must be. Invalid sequences become U+FFFD
// (the documented loss), never an exception or a broken line.
std::string line(const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace) + "\n"; }

std::string utc_now() {
    std::time_t t = std::time(nullptr);
    std::tm tm{};
    gmtime_r(&t, &tm);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return buf;
}

}  // namespace

std::string start(const std::string& version, const std::vector<std::string>& sources, const std::string& destination) {
    return line({{"event", "start"}, {"schema", schema_version}, {"version", version}, {"time", utc_now()},
                 {"sources", sources}, {"destination", destination}});
}

std::string file_start(const std::string& from, const std::string& to, uint64_t size) {
    return line({{"event", "file_start"}, {"from", from}, {"to", to}, {"size", size}});
}

std::string file_done(const std::string& from, const std::string& to, uint64_t bytes, double seconds,
                      uint64_t resumed_from) {
    nlohmann::json j = {{"event", "file_done"}, {"from", from}, {"to", to}, {"bytes", bytes}, {"seconds", seconds}};
    if (resumed_from) j["resumed_from"] = resumed_from;
    return line(j);
}

std::string dir(const std::string& to) { return line({{"event", "dir"}, {"to", to}}); }

std::string error(const std::string& message, int exit_code, const std::string& from, const std::string& to) {
    json j = {{"event", "error"}, {"message", message}, {"exit_code", exit_code}};
    if (!from.empty()) j["from"] = from;
    if (!to.empty()) j["to"] = to;
    return line(j);
}

std::string warning(const std::string& message) { return line({{"event", "warning"}, {"message", message}}); }

std::string progress(uint64_t bytes, double rate, uint64_t files_done, std::optional<uint64_t> total_files,
                     const std::string& file, uint64_t file_bytes, uint64_t file_size, uint64_t active,
                     double elapsed) {
    json j = {{"event", "progress"}, {"bytes", bytes}, {"rate", rate}, {"files_done", files_done},
              {"elapsed", elapsed}};
    if (total_files) j["total_files"] = *total_files;
    if (!file.empty()) {
        j["file"] = file;
        j["file_bytes"] = file_bytes;
        j["file_size"] = file_size;
        j["active"] = active;
    }
    return line(j);
}

std::string skip(const std::string& from, const std::string& to, uint64_t size, const std::string& reason) {
    return line({{"event", "skip"}, {"from", from}, {"to", to}, {"size", size}, {"reason", reason}});
}

std::string summary(uint64_t files, uint64_t dirs, uint64_t bytes, uint64_t failed, double seconds, int exit_code,
                    uint64_t skipped) {
    return line({{"event", "summary"}, {"files", files}, {"dirs", dirs}, {"bytes", bytes}, {"failed", failed},
                 {"skipped", skipped}, {"seconds", seconds}, {"exit_code", exit_code}});
}

}  // namespace netcp::json_events
