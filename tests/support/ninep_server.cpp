#include "ninep_server.hpp"

#include <signal.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <stdexcept>

#include <doctest/doctest.h>

namespace testutil {

ServerKind server_kind() {
    const char* k = std::getenv("NETCP_TEST_9P_SERVER");
    if (k == nullptr || *k == '\0' || std::strcmp(k, "diod") == 0) return ServerKind::diod;
    if (std::strcmp(k, "diod-munge") == 0) return ServerKind::diod_munge;
    if (std::strcmp(k, "ganesha") == 0) return ServerKind::ganesha;
    std::fprintf(stderr, "NETCP_TEST_9P_SERVER=%s: expected diod, diod-munge or ganesha\n", k);
    std::exit(2);
}

const char* server_kind_name(ServerKind k) {
    switch (k) {
        case ServerKind::diod: return "diod";
        case ServerKind::diod_munge: return "diod-munge";
        case ServerKind::ganesha: return "ganesha";
    }
    return "?";
}

NinePServer::NinePServer(ServerKind kind) : kind_(kind) {
    std::string cmd;
    if (kind_ == ServerKind::ganesha) {
        fixture_ = NETCP_GANESHA_FIXTURE;
    } else {
        fixture_ = NETCP_DIOD_FIXTURE;
    }
    cmd = "bash " + shell_quote(fixture_) + " start " + shell_quote(state_.path().string()) + " --owner " +
          std::to_string(::getpid());
    if (kind_ == ServerKind::diod_munge) cmd += " --auth munge";
    auto r = run(cmd);
    if (r.status == 77) {
        std::fprintf(stderr, "SKIP: %s\n", r.output.c_str());
        std::exit(77);
    }
    if (r.status != 0)
        throw std::runtime_error(std::string("the ") + name() + " fixture failed to start its server:\n" + r.output);
    std::map<std::string, std::string> env;
    std::istringstream in(r.output);
    std::string line;
    while (std::getline(in, line)) {
        auto eq = line.find('=');
        if (eq != std::string::npos) env[line.substr(0, eq)] = line.substr(eq + 1);
    }
    const std::string p = kind_ == ServerKind::ganesha ? "GANESHA_" : "DIOD_";
    if (!env[p + "PID"].empty()) pid_ = static_cast<pid_t>(std::stol(env[p + "PID"]));
    if (!env[p + "PORT"].empty()) port_ = static_cast<uint16_t>(std::stoi(env[p + "PORT"]));
    if (!env[p + "HOST"].empty()) host_ = env[p + "HOST"];
    socket_ = env[p + "SOCKET"];
    export_ = env[p + "EXPORT"];
    aname_ = env.count(p + "ANAME") ? env[p + "ANAME"] : export_.string();
    log_ = env[p + "LOG"];
    munge_socket_ = env["MUNGE_SOCKET"];
    if (pid_ <= 0 || port_ == 0 || export_.empty())
        throw std::runtime_error(std::string("the ") + name() + " fixture's output is unreadable:\n" + r.output);
    if (kind_ == ServerKind::diod_munge) {
        if (munge_socket_.empty()) throw std::runtime_error("the diod fixture started no munged:\n" + r.output);
        munge_ = std::make_unique<p9::MungeAuthenticator>(munge_socket_);
        // netcp run by the test authenticates through this munged, and must: --auth munge.
        ::setenv("NETCP_MUNGE_SOCKET", munge_socket_.c_str(), 1);
        ::setenv("NETCP_AUTH", "munge", 1);
    }
}

NinePServer::~NinePServer() {
    if (munge_) {
        ::unsetenv("NETCP_MUNGE_SOCKET");
        ::unsetenv("NETCP_AUTH");
    }
    run("bash " + shell_quote(fixture_) + " kill " + shell_quote(state_.path().string()));
}

p9::Endpoint NinePServer::unix_socket() const {
    if (socket_.empty()) throw std::logic_error(std::string(name()) + " listens on no unix socket");
    return p9::Endpoint::unix_socket(socket_);
}

p9::result<p9::Fid> NinePServer::try_attach(p9::BlockingClient& c, const std::string& aname, uint32_t uid) const {
    if (!munge_) return c.attach(aname, "", uid);
    return c.attach(aname, "", uid, p9::AttachAuth{p9::AuthPolicy::required, munge_.get()});
}

p9::Fid NinePServer::attach(p9::BlockingClient& c, uint32_t uid) const {
    auto root = try_attach(c, aname_, uid);
    REQUIRE_MESSAGE(root, "attach to " << name() << " as uid " << uid << ": " << root.error().message());
    return std::move(*root);
}

NinePServer::RunAs NinePServer::as_uid(uint32_t uid) const {
    const std::string n = std::to_string(uid);
    if (kind_ == ServerKind::diod_munge) return {"setpriv --reuid=" + n + " --regid=" + n + " --clear-groups ", ""};
    return {"", "--uid " + n + " "};
}

void NinePServer::pause() {
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
    throw std::runtime_error(std::string(name()) + " did not stop");
}

void NinePServer::resume() { ::kill(pid_, SIGCONT); }

void NinePServer::kill_now() { ::kill(pid_, SIGKILL); }

std::string NinePServer::log() const {
    std::ifstream f(log_);
    std::stringstream ss;
    ss << f.rdbuf();
    return ss.str();
}

}  // namespace testutil
