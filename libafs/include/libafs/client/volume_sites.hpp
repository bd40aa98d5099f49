// From a VLDB entry to the fileservers to call: which sites hold the wanted type of the
// volume, their addresses (a multi-homed server is named by UUID and its addresses come
// from VL_GetAddrsU), and which of them to try next.
//
// Pure: the VL calls are made by the client; these functions only choose.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <asio/ip/udp.hpp>

#include "libafs/wire/types.hpp"
#include "libafs/wire/vl.hpp"

namespace afs::client {

// GetAddrsU answers: a server UUID's IPv4 addresses (host order), in the VL server's order.
using ServerAddresses = std::map<wire::afsUUID, std::vector<uint32_t>>;

// The UUIDs of an entry's sites that need a GetAddrsU (each once, in entry order).
std::vector<wire::afsUUID> uuids_to_resolve(const wire::vl::VolumeLocation& location);

// A VLDB entry with the fileserver endpoints of each volume type resolved.
struct LocatedVolume {
    wire::vl::VolumeLocation location;
    std::array<std::vector<asio::ip::udp::endpoint>, wire::vl::max_types> servers;  // by VolumeType

    const std::vector<asio::ip::udp::endpoint>& servers_for(wire::VolumeType type) const {
        return servers[static_cast<size_t>(type)];
    }
    // "test (536870918)": the entry's name with the type suffix of `volume_id`.
    std::string describe(uint32_t volume_id) const;
};

// Resolves every site of `location`: a site without a UUID is its own IPv4 address; a UUID
// site has the addresses `addresses` holds for it (none if it is missing). Sites marked
// VLSF_DONTUSE are left out; duplicates are dropped; order is the entry's.
LocatedVolume locate(const wire::vl::VolumeLocation& location, const ServerAddresses& addresses,
                     uint16_t fileserver_port = 7000);

// The first candidate that has not failed yet, else nullopt.
std::optional<asio::ip::udp::endpoint> choose_server(const std::vector<asio::ip::udp::endpoint>& candidates,
                                                     const std::vector<asio::ip::udp::endpoint>& failed);

// "127.1.0.1:7000", "[::1]:7000".
std::string to_string(const asio::ip::udp::endpoint& endpoint);

}  // namespace afs::client
