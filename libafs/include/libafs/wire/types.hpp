// The structures shared by the AFS RPC interfaces (OpenAFS fsint/common.xg, afsint.xg,
// stds.h), with their wire layouts. Names follow OpenAFS so they can be found in its
// headers; members are snake_case. Every field is one 4-byte word unless noted.
#pragma once

#include <array>
#include <compare>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "libafs/wire/xdr.hpp"

namespace afs::wire {

// Bounds from the interface definitions.
inline constexpr size_t afs_name_max = 256;           // AFSNAMEMAX: a file name
inline constexpr size_t afs_path_max = 1024;          // AFSPATHMAX: symlink contents
inline constexpr size_t afs_opaque_max = 1024;        // AFSOPAQUEMAX: AFSOpaque (ACLs)
inline constexpr size_t afs_cb_max = 50;              // AFSCBMAX: AFSCBFids, AFSCBs, AFSBulkStats
inline constexpr size_t afs_capabilities_max = 196;   // AFSCAPABILITIESMAX
inline constexpr size_t afs_max_interface_addr = 32;  // AFS_MAX_INTERFACE_ADDR

// The three kinds of volume; the values are the VL voltype numbers and the indexes of
// volumeId[] in VLDB entries.
enum class VolumeType : int32_t { rw = 0, ro = 1, backup = 2 };

// A file: volume, vnode, uniquifier. Vnode 1, unique 1 is a volume's root directory.
struct AFSFid {
    uint32_t volume = 0;
    uint32_t vnode = 0;
    uint32_t unique = 0;

    static constexpr size_t wire_size = 12;
    static void xdr(auto& io, auto& self) { io(self.volume, self.vnode, self.unique); }
    bool operator==(const AFSFid&) const = default;
    auto operator<=>(const AFSFid&) const = default;

    static constexpr AFSFid root_of(uint32_t volume_id) { return {volume_id, 1, 1}; }
    // In a callback break, a fid with vnode 0 and unique 0 stands for the whole volume.
    constexpr bool is_whole_volume() const { return vnode == 0 && unique == 0; }
};

// AFSFetchStatus::file_type values.
namespace file_type {
inline constexpr uint32_t invalid = 0, file = 1, directory = 2, symlink = 3;
}

// What the fileserver says about a file (21 words).
struct AFSFetchStatus {
    uint32_t interface_version = 1;
    uint32_t file_type = file_type::invalid;
    uint32_t link_count = 0;
    uint32_t length_lo = 0;        // low 32 bits of the length; see length()
    uint32_t data_version_lo = 0;  // low 32 bits of the data version; see data_version()
    uint32_t author = 0;
    uint32_t owner = 0;
    uint32_t caller_access = 0;     // rights bits (acl.hpp) the caller holds
    uint32_t anonymous_access = 0;  // rights bits system:anyuser holds
    uint32_t unix_mode_bits = 0;
    uint32_t parent_vnode = 0;
    uint32_t parent_unique = 0;
    uint32_t residency_mask = 0;
    uint32_t client_mod_time = 0;
    uint32_t server_mod_time = 0;
    uint32_t group = 0;
    uint32_t sync_counter = 0;
    uint32_t data_version_hi = 0;
    uint32_t lock_count = 0;
    uint32_t length_hi = 0;
    uint32_t error_code = 0;  // InlineBulkStatus: this entry's error (0 = fine)

    static constexpr size_t wire_size = 84;
    static void xdr(auto& io, auto& self) {
        io(self.interface_version, self.file_type, self.link_count, self.length_lo, self.data_version_lo,
           self.author, self.owner, self.caller_access, self.anonymous_access, self.unix_mode_bits,
           self.parent_vnode, self.parent_unique, self.residency_mask, self.client_mod_time,
           self.server_mod_time, self.group, self.sync_counter, self.data_version_hi, self.lock_count,
           self.length_hi, self.error_code);
    }
    bool operator==(const AFSFetchStatus&) const = default;

    uint64_t length() const { return uint64_t{length_hi} << 32 | length_lo; }
    void set_length(uint64_t n) {
        length_hi = static_cast<uint32_t>(n >> 32);
        length_lo = static_cast<uint32_t>(n);
    }
    uint64_t data_version() const { return uint64_t{data_version_hi} << 32 | data_version_lo; }
    void set_data_version(uint64_t v) {
        data_version_hi = static_cast<uint32_t>(v >> 32);
        data_version_lo = static_cast<uint32_t>(v);
    }
    bool is_file() const { return file_type == file_type::file; }
    bool is_directory() const { return file_type == file_type::directory; }
    bool is_symlink() const { return file_type == file_type::symlink; }
    // The per-entry error of an InlineBulkStatus reply as an error_code (afs::abort_error),
    // or no error.
    std::error_code error() const;
};

// AFSStoreStatus::mask bits: which fields the server should apply.
namespace store_mask {
inline constexpr uint32_t set_mod_time = 1, set_owner = 2, set_group = 4, set_mode = 8, set_seg_size = 16;
inline constexpr uint32_t fsync = 1024;  // StoreData: fsync on the server before answering
}  // namespace store_mask

// Attributes a client asks the fileserver to set (6 words).
struct AFSStoreStatus {
    uint32_t mask = 0;
    uint32_t client_mod_time = 0;
    uint32_t owner = 0;
    uint32_t group = 0;
    uint32_t unix_mode_bits = 0;
    uint32_t seg_size = 0;

    static constexpr size_t wire_size = 24;
    static void xdr(auto& io, auto& self) {
        io(self.mask, self.client_mod_time, self.owner, self.group, self.unix_mode_bits, self.seg_size);
    }
    bool operator==(const AFSStoreStatus&) const = default;
};

// AFSCallBack::callback_type values.
namespace callback_type {
inline constexpr uint32_t exclusive = 1, shared = 2, dropped = 3;
}

// A callback promise (3 words). expiration_time is in seconds *relative to when the
// request was sent* (0 = no promise); the client adds it to its own send time.
struct AFSCallBack {
    uint32_t callback_version = 1;
    uint32_t expiration_time = 0;
    uint32_t callback_type = 0;

    static constexpr size_t wire_size = 12;
    static void xdr(auto& io, auto& self) { io(self.callback_version, self.expiration_time, self.callback_type); }
    bool operator==(const AFSCallBack&) const = default;
};

// The interface's bounded arrays (each at most afs_cb_max = 50 elements on the wire).
using AFSCBFids = std::vector<AFSFid>;
using AFSCBs = std::vector<AFSCallBack>;

// Six spare words; OpenAFS puts the volume's creation date in spare1, which changes when a
// volume is restored or replaced (cached data from before is then stale).
struct AFSVolSync {
    uint32_t spare1 = 0, spare2 = 0, spare3 = 0, spare4 = 0, spare5 = 0, spare6 = 0;

    static constexpr size_t wire_size = 24;
    static void xdr(auto& io, auto& self) {
        io(self.spare1, self.spare2, self.spare3, self.spare4, self.spare5, self.spare6);
    }
    bool operator==(const AFSVolSync&) const = default;
    uint32_t volume_creation_date() const { return spare1; }
};

// InlineBulkStatus results (at most afs_cb_max = 50).
using AFSBulkStats = std::vector<AFSFetchStatus>;

// A DCE UUID as AFS sends it: 11 words (the 16-bit and 8-bit fields take a word each).
// Identifies clients (interfaceAddr) and multi-homed fileservers (uvldbentry).
struct afsUUID {
    uint32_t time_low = 0;
    uint16_t time_mid = 0;
    uint16_t time_hi_and_version = 0;
    uint8_t clock_seq_hi_and_reserved = 0;
    uint8_t clock_seq_low = 0;
    std::array<uint8_t, 6> node{};

    static constexpr size_t wire_size = 44;
    static void xdr(auto& io, auto& self) {
        io(self.time_low, self.time_mid, self.time_hi_and_version, self.clock_seq_hi_and_reserved,
           self.clock_seq_low, self.node);
    }
    bool operator==(const afsUUID&) const = default;
    auto operator<=>(const afsUUID&) const = default;

    bool is_nil() const { return *this == afsUUID{}; }
    // "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx", lower case.
    std::string to_string() const;
    static std::optional<afsUUID> parse(std::string_view text);
    // A random (version 4) UUID from 16 random bytes: the caller supplies the randomness so
    // this stays a pure function.
    static afsUUID from_random_bytes(std::span<const uint8_t, 16> random);
};

// What a client tells a fileserver about itself (WhoAreYou, TellMeAboutYourself): 108
// words, all 32 slots of each array always sent.
struct interfaceAddr {
    int32_t number_of_interfaces = 0;
    afsUUID uuid;
    std::array<uint32_t, afs_max_interface_addr> addr_in{};     // IPv4, host order integer
    std::array<uint32_t, afs_max_interface_addr> subnetmask{};  // host order integer
    std::array<uint32_t, afs_max_interface_addr> mtu{};

    static constexpr size_t wire_size = 432;
    static void xdr(auto& io, auto& self) {
        io(xdr::in_range<0, afs_max_interface_addr>(self.number_of_interfaces), self.uuid, self.addr_in,
           self.subnetmask, self.mtu);
    }
    bool operator==(const interfaceAddr&) const = default;
};

// One local interface, for make_interface_addr.
struct Interface {
    uint32_t ipv4 = 0;  // host order: 10.0.0.1 is 0x0A000001
    uint32_t netmask = 0;
    uint32_t mtu = 0;
};

// Fills an interfaceAddr; more than 32 interfaces is errc::too_large.
result<interfaceAddr> make_interface_addr(const afsUUID& uuid, std::span<const Interface> interfaces);

// Capabilities: up to 196 words of bits; word 0 holds the defined ones.
using Capabilities = std::vector<uint32_t>;
namespace capability {
// Fileserver capabilities (GetCapabilities).
inline constexpr uint32_t viced_errortrans = 0x1, viced_64bitfiles = 0x2, viced_writelockacl = 0x4,
                          viced_saneacls = 0x8;
// Client capabilities (TellMeAboutYourself). Advertising errortrans makes the fileserver
// send "uae" error codes instead of its host's errno values.
inline constexpr uint32_t client_errortrans = 0x1;
}  // namespace capability
// True when word 0 of `caps` has `bit`.
inline bool has_capability(const Capabilities& caps, uint32_t bit) { return !caps.empty() && (caps[0] & bit) == bit; }

// Volume status, as GetVolumeStatus returns it. The four flags are C chars, one word each;
// they are kept as the raw words.
struct AFSFetchVolumeStatus {
    int32_t vid = 0;
    int32_t parent_id = 0;
    int32_t online = 0;
    int32_t in_service = 0;
    int32_t blessed = 0;
    int32_t needs_salvage = 0;
    int32_t type = 0;
    int32_t min_quota = 0;
    int32_t max_quota = 0;  // KiB, 0 = unlimited
    int32_t blocks_in_use = 0;
    int32_t part_blocks_avail = 0;
    int32_t part_max_blocks = 0;

    static constexpr size_t wire_size = 48;
    static void xdr(auto& io, auto& self) {
        io(self.vid, self.parent_id, self.online, self.in_service, self.blessed, self.needs_salvage, self.type,
           self.min_quota, self.max_quota, self.blocks_in_use, self.part_blocks_avail, self.part_max_blocks);
    }
    bool operator==(const AFSFetchVolumeStatus&) const = default;
};

}  // namespace afs::wire

template <>
struct std::hash<afs::wire::AFSFid> {
    size_t operator()(const afs::wire::AFSFid& f) const noexcept {
        uint64_t h = f.volume;
        h = h * 0x9E3779B97F4A7C15ull ^ f.vnode;
        h = h * 0x9E3779B97F4A7C15ull ^ f.unique;
        return static_cast<size_t>(h ^ (h >> 29));
    }
};
