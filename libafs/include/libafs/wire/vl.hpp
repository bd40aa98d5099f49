// The volume location (VL) service: volume name -> volume ids and the fileservers that
// hold each type. Rx service 52 on UDP 7003; rxnull is enough for lookups.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "libafs/wire/rpc.hpp"
#include "libafs/wire/types.hpp"

namespace afs::wire::vl {

inline constexpr uint16_t service_id = 52;
inline constexpr uint16_t default_port = 7003;

inline constexpr size_t max_name_len = 65;  // VL_MAXNAMELEN, NUL included
inline constexpr size_t max_servers = 13;   // NMAXNSERVERS
inline constexpr size_t max_types = 3;      // MAXTYPES
// bulkaddrs is unbounded in the interface; a VL server holds at most 255 servers, and we
// refuse more than this.
inline constexpr size_t max_bulk_addrs = 500;

// Server addresses, IPv4 as host order integers.
using bulkaddrs = std::vector<uint32_t>;

// Whole-entry flags.
inline constexpr uint32_t VLF_RWEXISTS = 0x1000, VLF_ROEXISTS = 0x2000, VLF_BACKEXISTS = 0x4000,
                          VLF_DFSFILESET = 0x8000;
// Per-server flags.
inline constexpr uint32_t VLSF_NEWREPSITE = 0x01, VLSF_ROVOL = 0x02, VLSF_RWVOL = 0x04, VLSF_BACKVOL = 0x08,
                          VLSF_UUID = 0x10, VLSF_DONTUSE = 0x20, VLSF_RWREPLICA = 0x40;
// ListAddrByAttributes::mask (exactly one bit).
inline constexpr int32_t VLADDR_IPADDR = 0x1, VLADDR_INDEX = 0x2, VLADDR_UUID = 0x4;

// A VLDB entry with servers as IPv4 addresses (119 words).
struct nvldbentry {
    std::string name;  // char[65], one word per char
    int32_t nservers = 0;
    std::array<uint32_t, max_servers> server_number{};  // IPv4, host order integer
    std::array<int32_t, max_servers> server_partition{};
    std::array<uint32_t, max_servers> server_flags{};  // VLSF_*
    std::array<uint32_t, max_types> volume_id{};       // indexed by VolumeType
    uint32_t clone_id = 0;
    uint32_t flags = 0;  // VLF_*
    int32_t matchindex = 0;
    std::array<int32_t, 8> spares{};  // spares2..spares9

    static constexpr size_t wire_size = 476;
    static void xdr(auto& io, auto& self) {
        io(xdr::char_array<max_name_len>(self.name), xdr::in_range<0, max_servers>(self.nservers),
           self.server_number, self.server_partition, self.server_flags, self.volume_id, self.clone_id, self.flags,
           self.matchindex, self.spares);
    }
    bool operator==(const nvldbentry&) const = default;
};

// A VLDB entry with servers as UUIDs (262 words: 65 + 1 + 13*11 + 3*13 + 3 + 1 + 1 + 9; the
// protocol notes' "273 words / 1092 bytes" miscounts). A server whose flags have VLSF_UUID is
// named by its UUID (resolve it with GetAddrsU); otherwise time_low of its "UUID" is its
// IPv4 address and the rest is zero.
struct uvldbentry {
    std::string name;
    int32_t nservers = 0;
    std::array<afsUUID, max_servers> server_number{};
    std::array<int32_t, max_servers> server_unique{};
    std::array<int32_t, max_servers> server_partition{};
    std::array<uint32_t, max_servers> server_flags{};
    std::array<uint32_t, max_types> volume_id{};
    uint32_t clone_id = 0;
    uint32_t flags = 0;
    int32_t matchindex = 0;  // "spares1" in the interface: the server index matched
    std::array<int32_t, 8> spares{};

    static constexpr size_t wire_size = 1048;
    static void xdr(auto& io, auto& self) {
        io(xdr::char_array<max_name_len>(self.name), xdr::in_range<0, max_servers>(self.nservers),
           self.server_number, self.server_unique, self.server_partition, self.server_flags, self.volume_id,
           self.clone_id, self.flags, self.matchindex, self.spares);
    }
    bool operator==(const uvldbentry&) const = default;
};

// Which server GetAddrsU should describe (4 + 11 words).
struct ListAddrByAttributes {
    int32_t mask = 0;  // VLADDR_*
    uint32_t ipaddr = 0;
    int32_t index = 0;  // 1-based
    int32_t spare1 = 0;
    afsUUID uuid;

    static constexpr size_t wire_size = 60;
    static void xdr(auto& io, auto& self) { io(self.mask, self.ipaddr, self.index, self.spare1, self.uuid); }
    bool operator==(const ListAddrByAttributes&) const = default;

    static ListAddrByAttributes by_uuid(const afsUUID& u) { return {VLADDR_UUID, 0, 0, 0, u}; }
};

// ---------------------------------------------------------------------------------------
// RPCs

struct GetEntryByNameN {
    static constexpr uint32_t opcode = 519;
    static constexpr std::string_view name = "VL_GetEntryByNameN";
    struct Request {
        std::string volume_name;  // a name or a decimal volume id
        static void xdr(auto& io, auto& self) { io(xdr::string<max_name_len>(self.volume_name)); }
        bool operator==(const Request&) const = default;
    };
    struct Reply {
        nvldbentry entry;
        static void xdr(auto& io, auto& self) { io(self.entry); }
        bool operator==(const Reply&) const = default;
    };
};

struct GetEntryByNameU {
    static constexpr uint32_t opcode = 527;
    static constexpr std::string_view name = "VL_GetEntryByNameU";
    struct Request {
        std::string volume_name;
        static void xdr(auto& io, auto& self) { io(xdr::string<max_name_len>(self.volume_name)); }
        bool operator==(const Request&) const = default;
    };
    struct Reply {
        uvldbentry entry;
        static void xdr(auto& io, auto& self) { io(self.entry); }
        bool operator==(const Reply&) const = default;
    };
};

struct GetAddrsU {
    static constexpr uint32_t opcode = 533;
    static constexpr std::string_view name = "VL_GetAddrsU";
    struct Request {
        ListAddrByAttributes attributes;
        static void xdr(auto& io, auto& self) { io(self.attributes); }
        bool operator==(const Request&) const = default;
    };
    struct Reply {
        afsUUID uuid;
        int32_t uniquifier = 0;
        int32_t nentries = 0;
        bulkaddrs addrs;
        static void xdr(auto& io, auto& self) {
            io(self.uuid, self.uniquifier, self.nentries, xdr::array<max_bulk_addrs>(self.addrs));
        }
        bool operator==(const Reply&) const = default;
    };
};

// ---------------------------------------------------------------------------------------
// Choosing volumes and servers

// One server of a VLDB entry.
struct VolumeSite {
    std::optional<afsUUID> uuid;  // set: a multi-homed server, resolve with GetAddrsU
    uint32_t ipv4 = 0;            // no uuid: the server's address, host order
    int32_t unique = 0;           // uvldbentry serverUnique (0 for nvldbentry)
    int32_t partition = 0;        // 0 = /vicepa
    uint32_t flags = 0;           // VLSF_*
    bool operator==(const VolumeSite&) const = default;

    // True when this server holds that type of the volume and is not marked "don't use".
    // The backup volume lives with the RW volume, so its servers are the RW's.
    bool holds(VolumeType type) const;
};

// A VLDB entry in one form, whichever RPC it came from.
struct VolumeLocation {
    std::string name;
    std::array<uint32_t, max_types> volume_id{};
    uint32_t clone_id = 0;
    uint32_t flags = 0;  // VLF_*
    std::vector<VolumeSite> sites;
    bool operator==(const VolumeLocation&) const = default;

    uint32_t id(VolumeType type) const { return volume_id[static_cast<size_t>(type)]; }
    // The entry's VLF_*EXISTS flag for that type (and a nonzero id).
    bool exists(VolumeType type) const;
    // The sites that hold that type, in VLDB order.
    std::vector<VolumeSite> sites_for(VolumeType type) const;
    // Which of this entry's volumes has that id.
    std::optional<VolumeType> type_of(uint32_t volume_id) const;
};

VolumeLocation to_location(const nvldbentry& e);
VolumeLocation to_location(const uvldbentry& e);

// "/vicepa" for 0, "/vicepz" for 25, "/vicepaa" for 26 ... "/vicepiv" for 255.
std::string partition_name(int32_t partition);

}  // namespace afs::wire::vl
