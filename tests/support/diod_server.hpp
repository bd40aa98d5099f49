// A real diod for one test, started through fixtures/diod/diod-fixture.sh on a free
// loopback port and a unix socket, exporting a fresh directory; stopped on destruction.
// If diod is not installed the test process exits 77, which CTest reports as skipped.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <filesystem>
#include <string>

#include "lib9p/endpoint.hpp"
#include "test_util.hpp"

namespace testutil {

class DiodServer {
public:
    DiodServer();
    ~DiodServer();
    DiodServer(const DiodServer&) = delete;
    DiodServer& operator=(const DiodServer&) = delete;

    p9::Endpoint tcp() const { return p9::Endpoint::tcp(host_, port_); }
    p9::Endpoint unix_socket() const { return p9::Endpoint::unix_socket(socket_); }
    uint16_t port() const { return port_; }
    const std::string& socket_path() const { return socket_; }
    // The exported directory, also the aname to attach to.
    const std::filesystem::path& export_dir() const { return export_; }
    std::string aname() const { return export_.string(); }
    pid_t pid() const { return pid_; }
    // Freezes diod (SIGSTOP) and returns once every thread has stopped, so nothing sent
    // afterwards is answered until resume().
    void pause();
    void resume();
    // Kills diod at once (SIGKILL), as a crash would.
    void kill_now();
    std::string log() const;

private:
    TempDir state_{"netcp-diod"};
    std::string host_ = "127.0.0.1";
    uint16_t port_ = 0;
    std::string socket_;
    std::filesystem::path export_;
    pid_t pid_ = -1;
};

}  // namespace testutil
