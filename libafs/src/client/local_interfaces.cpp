// Listing IPv4 interfaces with getifaddrs.
#include "local_interfaces.hpp"

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>

namespace afs::client::detail {

std::vector<wire::Interface> local_ipv4_interfaces() {
    std::vector<wire::Interface> out;
    ifaddrs* list = nullptr;
    if (::getifaddrs(&list) != 0) return out;
    for (ifaddrs* i = list; i != nullptr && out.size() < wire::afs_max_interface_addr; i = i->ifa_next) {
        if (!i->ifa_addr || i->ifa_addr->sa_family != AF_INET || !(i->ifa_flags & IFF_UP)) continue;
        wire::Interface itf;
        itf.ipv4 = ntohl(reinterpret_cast<const sockaddr_in*>(i->ifa_addr)->sin_addr.s_addr);
        if (i->ifa_netmask) itf.netmask = ntohl(reinterpret_cast<const sockaddr_in*>(i->ifa_netmask)->sin_addr.s_addr);
        // The MTU only guides a server's packet sizes; Rx negotiates its own anyway.
        itf.mtu = 1500;
        out.push_back(itf);
    }
    ::freeifaddrs(list);
    return out;
}

}  // namespace afs::client::detail
