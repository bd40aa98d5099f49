// netcp_delay_relay LISTEN_ADDRESS TARGET_HOST TARGET_PORT ONE_WAY_DELAY_US
// A TCP relay adding a fixed one-way delay in both directions (TcpRelay), for benchmarks
// on a path with latency where this kernel has no netem. Prints "PORT=n" once listening,
// then relays until SIGTERM or SIGINT.
#include <signal.h>

#include <cstdio>
#include <cstdlib>
#include <string>

#include "tcp_relay.hpp"

int main(int argc, char** argv) {
    if (argc != 5) {
        std::fprintf(stderr, "usage: %s LISTEN_ADDRESS TARGET_HOST TARGET_PORT ONE_WAY_DELAY_US\n", argv[0]);
        return 2;
    }
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    pthread_sigmask(SIG_BLOCK, &set, nullptr);  // the relay's thread inherits it
    testutil::TcpRelay relay(argv[1], argv[2], static_cast<uint16_t>(std::atoi(argv[3])),
                             std::chrono::microseconds(std::atoll(argv[4])));
    std::printf("PORT=%u\n", relay.port());
    std::fflush(stdout);
    int sig = 0;
    sigwait(&set, &sig);
    return 0;
}
