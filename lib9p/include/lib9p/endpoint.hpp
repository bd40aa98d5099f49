// Where a 9P server listens: a TCP host and port (IPv4, IPv6 or a name) or a unix socket.
#pragma once

#include <cstdint>
#include <string>

namespace p9 {

struct Endpoint {
    std::string host;         // TCP: a name, an IPv4 address or an IPv6 address (no brackets)
    uint16_t port = 564;
    std::string socket_path;  // non-empty: a unix-domain socket, host and port unused

    static Endpoint tcp(std::string host, uint16_t port = 564) { return {std::move(host), port, {}}; }
    static Endpoint unix_socket(std::string path) { return {{}, 0, std::move(path)}; }
    bool is_unix() const { return !socket_path.empty(); }
    // "127.0.0.1:564", "[::1]:564" or "unix:/run/diod.sock", for messages.
    std::string to_string() const {
        if (is_unix()) return "unix:" + socket_path;
        if (host.find(':') != std::string::npos) return "[" + host + "]:" + std::to_string(port);
        return host + ":" + std::to_string(port);
    }
};

}  // namespace p9
