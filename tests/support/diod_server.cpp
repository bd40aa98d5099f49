#include "diod_server.hpp"

#include <signal.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace testutil {

DiodServer::DiodServer() {
    auto r = run("bash " + shell_quote(NETCP_DIOD_FIXTURE) + " start " + shell_quote(state_.path().string()));
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
