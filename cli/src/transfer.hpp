// Copying one regular file to or from a 9P server, pipelined, never leaving a destination
// that looks complete but is not: data goes to a hidden temporary name in the target
// directory, which is renamed over the final name only after every byte was
// acknowledged (and, with --fsync, flushed); on failure the temporary file is removed.
#pragma once

#include <sys/stat.h>

#include <cstdint>
#include <optional>
#include <string>

#include "lib9p/message.hpp"
#include "options.hpp"
#include "remote_fs.hpp"
#include "report.hpp"
#include "engine.hpp"
#include "lib9p/netfs_backend.hpp"

namespace netcp {

// The connection went away under a request (closed, reset, or dropped by lib9p after the
// server broke the protocol), as opposed to an answer from the server; a timeout is not
// one (a server that stopped answering is exit 7, not reconnected to).
bool connection_lost(std::error_code ec, bool still_connected);

// Uploads local regular file `local` (already stat'ed as `st`) to `remote_path`, through
// the engine (or the raw Twrite pipeline with --raw-pipeline), and into the cache with
// --cache (buffered and write-through modes).
// Returns the bytes copied or the failure.
tl::expected<uint64_t, Failure> upload_file(RemoteFs& remote, Engine& engine, const Options& options,
                                            const std::string& local, const struct stat& st,
                                            const std::string& remote_path, int source_fd = -1);

// Downloads remote regular file `remote_path` (attributes `attr`) to local path `local`:
// with --cache through the engine's buffered reads, served from the cache when it holds
// the file unchanged; otherwise with a plain Tread pipeline.
tl::expected<uint64_t, Failure> download_file(RemoteFs& remote, Engine& engine, const Options& options,
                                              const std::string& remote_path, const p9::Rgetattr& attr,
                                              const LocalTarget& local);

}  // namespace netcp
