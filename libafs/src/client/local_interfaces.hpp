// This machine's IPv4 interfaces, for what a client tells fileservers about itself.
#pragma once

#include <vector>

#include "libafs/wire/types.hpp"

namespace afs::client::detail {

// Up to 32 IPv4 interfaces that are up, loopback included (a fileserver on loopback sees
// the client as 127.0.0.1). Empty if they cannot be listed.
std::vector<wire::Interface> local_ipv4_interfaces();

}  // namespace afs::client::detail
