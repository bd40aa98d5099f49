// From VLDB entries to the fileservers to call.
#include <doctest/doctest.h>

#include "libafs/client/volume_sites.hpp"

using namespace afs;
using namespace afs::client;
namespace vl = afs::wire::vl;
using wire::VolumeType;

namespace {

wire::afsUUID uuid(uint8_t n) {
    wire::afsUUID u;
    u.time_low = 0x11110000u + n;
    u.node = {1, 2, 3, 4, 5, n};
    return u;
}

vl::VolumeSite site(std::optional<wire::afsUUID> u, uint32_t ip, uint32_t flags) {
    vl::VolumeSite s;
    s.uuid = u;
    s.ipv4 = ip;
    s.flags = flags;
    return s;
}

vl::VolumeLocation location() {
    vl::VolumeLocation l;
    l.name = "proj";
    l.volume_id = {536870912, 536870913, 536870914};
    l.flags = vl::VLF_RWEXISTS | vl::VLF_ROEXISTS;
    l.sites = {
        site(uuid(1), 0, vl::VLSF_RWVOL | vl::VLSF_UUID | vl::VLSF_ROVOL),   // RW and a RO clone
        site(uuid(2), 0, vl::VLSF_ROVOL | vl::VLSF_UUID),                     // RO replica, multi-homed
        site(std::nullopt, 0x0A000003, vl::VLSF_ROVOL),                       // RO replica, by address
        site(uuid(4), 0, vl::VLSF_ROVOL | vl::VLSF_UUID | vl::VLSF_DONTUSE),  // being removed
        site(uuid(2), 0, vl::VLSF_ROVOL | vl::VLSF_UUID),                     // listed twice
    };
    return l;
}

asio::ip::udp::endpoint ep(const char* a, uint16_t port = 7000) {
    return {asio::ip::make_address(a), port};
}

}  // namespace

TEST_CASE("the UUIDs to resolve: each once, none of the don't-use sites") {
    const auto u = uuids_to_resolve(location());
    REQUIRE(u.size() == 2);
    CHECK(u[0] == uuid(1));
    CHECK(u[1] == uuid(2));
}

TEST_CASE("endpoints per volume type, in VLDB order, multi-homed servers with all their addresses") {
    ServerAddresses addrs;
    addrs[uuid(1)] = {0x0A000001};
    addrs[uuid(2)] = {0x0A000002, 0xC0A80002};
    addrs[uuid(4)] = {0x0A000004};
    const auto v = locate(location(), addrs, 7000);
    REQUIRE(v.servers_for(VolumeType::rw).size() == 1);
    CHECK(v.servers_for(VolumeType::rw)[0] == ep("10.0.0.1"));
    // The backup volume lives with the RW one.
    CHECK(v.servers_for(VolumeType::backup) == v.servers_for(VolumeType::rw));
    const auto& ro = v.servers_for(VolumeType::ro);
    REQUIRE(ro.size() == 4);
    CHECK(ro[0] == ep("10.0.0.1"));
    CHECK(ro[1] == ep("10.0.0.2"));
    CHECK(ro[2] == ep("192.168.0.2"));
    CHECK(ro[3] == ep("10.0.0.3"));  // the don't-use site and the duplicate are gone

    CHECK(v.describe(536870912) == "proj (536870912)");
    CHECK(v.describe(536870913) == "proj.readonly (536870913)");
    CHECK(v.describe(536870914) == "proj.backup (536870914)");
    CHECK(v.describe(42) == "proj (42)");
}

TEST_CASE("a UUID without known addresses gives no endpoint, and another port is honoured") {
    const auto v = locate(location(), {}, 17000);
    CHECK(v.servers_for(VolumeType::rw).empty());
    REQUIRE(v.servers_for(VolumeType::ro).size() == 1);
    CHECK(v.servers_for(VolumeType::ro)[0] == ep("10.0.0.3", 17000));
}

TEST_CASE("choosing a server skips the ones that failed") {
    const std::vector<asio::ip::udp::endpoint> c{ep("10.0.0.1"), ep("10.0.0.2"), ep("10.0.0.3")};
    CHECK(choose_server(c, {}) == ep("10.0.0.1"));
    CHECK(choose_server(c, {ep("10.0.0.1")}) == ep("10.0.0.2"));
    CHECK(choose_server(c, {ep("10.0.0.2"), ep("10.0.0.1")}) == ep("10.0.0.3"));
    CHECK(!choose_server(c, c));
    CHECK(!choose_server({}, {}));
}

TEST_CASE("endpoints print as host:port, IPv6 in brackets") {
    CHECK(to_string(ep("127.1.0.1")) == "127.1.0.1:7000");
    CHECK(to_string(ep("::1", 7003)) == "[::1]:7003");
}
