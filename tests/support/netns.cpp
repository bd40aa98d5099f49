#include "netns.hpp"

#include <net/if.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace testutil {

void enter_private_netns_if_asked() {
    const char* kind = std::getenv("NETCP_TEST_9P_SERVER");
    const char* asked = std::getenv("NETCP_TEST_NETNS");
    if (!(kind != nullptr && std::strcmp(kind, "ganesha") == 0) && !(asked != nullptr && std::strcmp(asked, "1") == 0))
        return;
    if (::unshare(CLONE_NEWNET) != 0) {
        std::fprintf(stderr, "SKIP: cannot make a private network namespace for the server (%s): run as root\n",
                     std::strerror(errno));
        std::exit(77);
    }
    const int s = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    struct ifreq ifr {};
    std::strncpy(ifr.ifr_name, "lo", IFNAMSIZ - 1);
    if (s < 0 || ::ioctl(s, SIOCGIFFLAGS, &ifr) != 0 ||
        (ifr.ifr_flags |= IFF_UP | IFF_RUNNING, ::ioctl(s, SIOCSIFFLAGS, &ifr) != 0)) {
        std::fprintf(stderr, "cannot bring up the loopback of the test's network namespace: %s\n",
                     std::strerror(errno));
        std::exit(1);
    }
    ::close(s);
}

}  // namespace testutil
