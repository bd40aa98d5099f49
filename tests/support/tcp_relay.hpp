// A byte relay: accepts TCP connections on one address and pipes each, unchanged, to a
// target address. Used to reach the real diod over IPv6 ([::1]), since diod 1.0.24's
// listener option cannot parse an IPv6 literal. The relay does not look at the bytes.
#pragma once

#include <cstdint>
#include <atomic>
#include <memory>
#include <string>
#include <thread>

#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>

namespace testutil {

class TcpRelay {
public:
    TcpRelay(const std::string& listen_address, const std::string& target_host, uint16_t target_port);
    ~TcpRelay();
    uint16_t port() const { return port_; }
    // Closes every connection relayed so far, as a network failure would; new ones still
    // go through. Returns how many were cut.
    size_t drop_connections();
    size_t accepted() const { return accepted_.load(); }

private:
    void accept();
    struct Pipes;
    std::shared_ptr<Pipes> pipes_;
    std::atomic<size_t> accepted_{0};
    asio::io_context ctx_;
    asio::ip::tcp::acceptor acceptor_;
    asio::ip::tcp::endpoint target_;
    uint16_t port_ = 0;
    std::thread thread_;
};

}  // namespace testutil
