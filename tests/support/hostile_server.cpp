#include "hostile_server.hpp"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

namespace testutil {

namespace {
constexpr const char* python = "/usr/bin/python3";
const std::string script = std::string(NETCP_SOURCE_DIR) + "/tests/fixtures/hostile9p.py";
}  // namespace

HostileServer::HostileServer(std::vector<std::string> flags, std::filesystem::path export_dir)
    : export_(export_dir.empty() ? state_ / "export" : std::move(export_dir)) {
    if (::access(python, X_OK) != 0) {
        std::fprintf(stderr, "SKIP: %s not found: the hostile 9P server needs it\n", python);
        std::exit(77);
    }
    std::filesystem::create_directories(export_);
    const auto port_file = state_ / "port";
    std::vector<std::string> argv{python, script, "--export", export_.string(), "--port-file", port_file.string(),
                                  "--parent-pid", std::to_string(::getpid())};
    argv.insert(argv.end(), flags.begin(), flags.end());
    pid_ = spawn(argv, state_ / "server.log");
    bool exited = false;
    const bool ready = wait_until(
        [&] {
            int st = 0;
            if (::waitpid(pid_, &st, WNOHANG) == pid_) exited = true;
            return exited || std::filesystem::exists(port_file);
        },
        20);
    if (exited || !ready) {
        if (!exited) stop();
        pid_ = -1;
        throw std::runtime_error("hostile9p.py did not start:\n" + log());
    }
    std::ifstream in(port_file);
    int port = 0;
    in >> port;
    if (port <= 0 || port > 65535) {
        stop();
        throw std::runtime_error("hostile9p.py wrote no port:\n" + log());
    }
    port_ = static_cast<uint16_t>(port);
}

HostileServer::~HostileServer() { stop(); }

void HostileServer::stop() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGTERM);
    int st = 0;
    for (int i = 0; i < 200; ++i) {  // two seconds, then no more asking
        if (::waitpid(pid_, &st, WNOHANG) == pid_) {
            pid_ = -1;
            return;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, &st, 0);
    pid_ = -1;
}

std::string HostileServer::url(const std::string& path) const {
    return "9p://127.0.0.1:" + std::to_string(port_) + "/" + path;
}

std::string HostileServer::log() const {
    std::ifstream f(state_ / "server.log");
    std::stringstream ss;
    ss << f.rdbuf();
    return ss.str();
}

}  // namespace testutil
