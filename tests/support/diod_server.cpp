#include "diod_server.hpp"

#include <signal.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace testutil {

DiodServer::DiodServer() {
    auto r = run("bash " + shell_quote(NETCP_DIOD_FIXTURE) + " start " + shell_quote(state_.path().string()) +
                 " --owner " + std::to_string(::getpid()));
    if (r.status == 77) {
        std::fprintf(stderr, "SKIP: %s\n", r.output.c_str());
        std::exit(77);
    }
    if (r.status != 0) throw std::runtime_error("diod fixture failed to start diod:\n" + r.output);
    std::istringstream in(r.output);
    std::string line;
    while (std::getline(in, line)) {
        auto eq = line.find('=');
        if (eq == std::string::npos) continue;
        auto key = line.substr(0, eq), value = line.substr(eq + 1);
        if (key == "DIOD_PID") pid_ = static_cast<pid_t>(std::stol(value));
        if (key == "DIOD_PORT") port_ = static_cast<uint16_t>(std::stoi(value));
        if (key == "DIOD_SOCKET") socket_ = value;
        if (key == "DIOD_EXPORT") export_ = value;
    }
    if (pid_ <= 0 || port_ == 0 || socket_.empty()) throw std::runtime_error("diod fixture output unreadable:\n" + r.output);
}

DiodServer::~DiodServer() {
    run("bash " + shell_quote(NETCP_DIOD_FIXTURE) + " kill " + shell_quote(state_.path().string()));
}

void DiodServer::pause() {
    ::kill(pid_, SIGSTOP);
    // kill() returns before the threads stop: wait until /proc says every one is stopped.
    const auto tasks = std::filesystem::path("/proc") / std::to_string(pid_) / "task";
    for (int i = 0; i < 5000; ++i) {
        bool all_stopped = true;
        for (const auto& t : std::filesystem::directory_iterator(tasks)) {
            std::ifstream st(t.path() / "stat");
            std::string line;
            std::getline(st, line);
            auto close = line.rfind(')');
            if (close == std::string::npos || close + 2 >= line.size() || line[close + 2] != 'T') all_stopped = false;
        }
        if (all_stopped) return;
        ::usleep(1000);
    }
    throw std::runtime_error("diod did not stop");
}

void DiodServer::resume() { ::kill(pid_, SIGCONT); }

void DiodServer::kill_now() {
    ::kill(pid_, SIGKILL);
}

std::string DiodServer::log() const {
    std::ifstream f(state_.path() / "diod.log");
    std::stringstream ss;
    ss << f.rdbuf();
    return ss.str();
}

}  // namespace testutil
