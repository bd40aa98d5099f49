// Choosing fileservers for a volume (see volume_sites.hpp).
#include "libafs/client/volume_sites.hpp"

#include <algorithm>

#include <asio/ip/address_v4.hpp>

namespace afs::client {

std::vector<wire::afsUUID> uuids_to_resolve(const wire::vl::VolumeLocation& location) {
    std::vector<wire::afsUUID> out;
    for (const auto& site : location.sites) {
        if (!site.uuid || (site.flags & wire::vl::VLSF_DONTUSE)) continue;
        if (std::find(out.begin(), out.end(), *site.uuid) == out.end()) out.push_back(*site.uuid);
    }
    return out;
}

std::string LocatedVolume::describe(uint32_t volume_id) const {
    std::string name = location.name;
    if (const auto type = location.type_of(volume_id)) {
        if (*type == wire::VolumeType::ro) name += ".readonly";
        if (*type == wire::VolumeType::backup) name += ".backup";
    }
    return name + " (" + std::to_string(volume_id) + ")";
}

LocatedVolume locate(const wire::vl::VolumeLocation& location, const ServerAddresses& addresses,
                     uint16_t fileserver_port) {
    LocatedVolume out;
    out.location = location;
    for (auto type : {wire::VolumeType::rw, wire::VolumeType::ro, wire::VolumeType::backup}) {
        auto& list = out.servers[static_cast<size_t>(type)];
        for (const auto& site : location.sites) {
            if (!site.holds(type)) continue;
            std::vector<uint32_t> ips;
            if (site.uuid) {
                if (auto it = addresses.find(*site.uuid); it != addresses.end()) ips = it->second;
            } else if (site.ipv4 != 0) {
                ips.push_back(site.ipv4);
            }
            for (uint32_t ip : ips) {
                const asio::ip::udp::endpoint ep(asio::ip::address_v4(ip), fileserver_port);
                if (ip != 0 && std::find(list.begin(), list.end(), ep) == list.end()) list.push_back(ep);
            }
        }
    }
    return out;
}

std::optional<asio::ip::udp::endpoint> choose_server(const std::vector<asio::ip::udp::endpoint>& candidates,
                                                     const std::vector<asio::ip::udp::endpoint>& failed) {
    for (const auto& c : candidates)
        if (std::find(failed.begin(), failed.end(), c) == failed.end()) return c;
    return std::nullopt;
}

std::string to_string(const asio::ip::udp::endpoint& endpoint) {
    // Appended piece by piece: GCC 12 at -O3 warns (falsely, -Wrestrict) about "[" + s + "]".
    const auto a = endpoint.address();
    std::string out;
    if (a.is_v6()) out += '[';
    out += a.to_string();
    if (a.is_v6()) out += ']';
    out += ':';
    out += std::to_string(endpoint.port());
    return out;
}

}  // namespace afs::client
