// A byte relay: accepts TCP connections on one address and pipes each, unchanged, to a
// target address. Used to reach the real diod over IPv6 ([::1]), since diod 1.0.24's
// listener option cannot parse an IPv6 literal, and to cut connections. The relay does not
// look at the bytes. With a delay, each chunk is passed on that long after it arrived, in
// order, in both directions (a path with that one-way latency, for benchmarks: this
// kernel has no netem).
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>

#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>

namespace testutil {

class TcpRelay {
public:
    TcpRelay(const std::string& listen_address, const std::string& target_host, uint16_t target_port,
             std::chrono::microseconds one_way_delay = {});
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
    std::chrono::microseconds delay_;
    uint16_t port_ = 0;
    std::thread thread_;
};

}  // namespace testutil
