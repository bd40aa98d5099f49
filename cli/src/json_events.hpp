// --json: the lines netcp prints on stdout for scripts, one JSON object each. The schema is
// docs/netcp-json.schema.json (described in docs/json-output.md); `schema` in the start
// event names its version, which changes only when a field changes meaning or goes away.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace netcp::json_events {

inline constexpr int schema_version = 1;

std::string start(const std::string& version, const std::vector<std::string>& sources, const std::string& destination);
std::string file_start(const std::string& from, const std::string& to, uint64_t size);
// `bytes` are this run's; `resumed_from` (when not 0) the bytes an interrupted run had
// already copied, which this one continued after.
std::string file_done(const std::string& from, const std::string& to, uint64_t bytes, double seconds,
                      uint64_t resumed_from = 0);
std::string dir(const std::string& to);
// `from`/`to`: the file being copied when it failed; empty when the error is not a file's.
std::string error(const std::string& message, int exit_code, const std::string& from, const std::string& to);
std::string warning(const std::string& message);
// How far the copy has got (at most twice a second): every file's bytes so far, the recent
// rate, files done, and the current file (empty between files).
// With several files at once (--transfers), `file` is the newest and `file_bytes` and
// `file_size` are the sums over the `active` ones.
std::string progress(uint64_t bytes, double rate, uint64_t files_done, std::optional<uint64_t> total_files,
                     const std::string& file, uint64_t file_bytes, uint64_t file_size, uint64_t active,
                     double elapsed);
// A file left alone: `reason` is "exists" (--ignore-existing), "newer" (--update), "same_size"
// (--size-only), "same_content" (--checksum) or "dry_run" (--dry-run: it would have been copied).
std::string skip(const std::string& from, const std::string& to, uint64_t size, const std::string& reason);
std::string summary(uint64_t files, uint64_t dirs, uint64_t bytes, uint64_t failed, double seconds, int exit_code,
                    uint64_t skipped = 0);

}  // namespace netcp::json_events
