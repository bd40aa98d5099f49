// The project's misbehaving 9P2000.L server (tests/fixtures/hostile9p.py) for one test:
// serves a real directory on a loopback port it picks, misbehaving as the flags ask
// (--short-reads N, --hostile-names, --endless-readdir MODE, --no-reply-after N,
// --reset-after N, --duplicate-reply N, --shrink-during-read, --change-during-read, ...;
// the script's --help lists them). Stopped by pid on destruction. The script also exits by
// itself when the test process dies. Without python3 the test process exits 77 (skipped).
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "test_util.hpp"

namespace testutil {

class HostileServer {
public:
    // Serves `export_dir`, or a fresh empty directory when it is empty.
    explicit HostileServer(std::vector<std::string> flags = {}, std::filesystem::path export_dir = {});
    ~HostileServer();
    HostileServer(const HostileServer&) = delete;
    HostileServer& operator=(const HostileServer&) = delete;

    uint16_t port() const { return port_; }
    const std::filesystem::path& export_dir() const { return export_; }
    // "9p://127.0.0.1:PORT/path"
    std::string url(const std::string& path) const;
    pid_t pid() const { return pid_; }
    // Everything the server wrote to stdout and stderr (with --verbose, one line per message).
    std::string log() const;
    // Stops the server now (SIGTERM, then SIGKILL if it lingers); the destructor does it too.
    void stop();

private:
    TempDir state_{"netcp-hostile9p"};
    std::filesystem::path export_;
    uint16_t port_ = 0;
    pid_t pid_ = -1;
};

}  // namespace testutil
