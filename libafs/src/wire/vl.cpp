// Turning VLDB entries into "which server holds which volume".
#include "libafs/wire/vl.hpp"

#include <algorithm>

namespace afs::wire::vl {

bool VolumeSite::holds(VolumeType type) const {
    if (flags & VLSF_DONTUSE) return false;
    switch (type) {
        case VolumeType::rw:
        case VolumeType::backup: return (flags & VLSF_RWVOL) != 0;
        case VolumeType::ro: return (flags & VLSF_ROVOL) != 0;
    }
    return false;
}

bool VolumeLocation::exists(VolumeType type) const {
    uint32_t flag = 0;
    switch (type) {
        case VolumeType::rw: flag = VLF_RWEXISTS; break;
        case VolumeType::ro: flag = VLF_ROEXISTS; break;
        case VolumeType::backup: flag = VLF_BACKEXISTS; break;
    }
    return (flags & flag) != 0 && id(type) != 0;
}

std::vector<VolumeSite> VolumeLocation::sites_for(VolumeType type) const {
    std::vector<VolumeSite> out;
    std::copy_if(sites.begin(), sites.end(), std::back_inserter(out),
                 [type](const VolumeSite& s) { return s.holds(type); });
    return out;
}

std::optional<VolumeType> VolumeLocation::type_of(uint32_t vid) const {
    if (vid == 0) return std::nullopt;
    for (auto t : {VolumeType::rw, VolumeType::ro, VolumeType::backup})
        if (id(t) == vid) return t;
    return std::nullopt;
}

namespace {

template <class Entry>
VolumeLocation common_fields(const Entry& e) {
    VolumeLocation loc;
    loc.name = e.name;
    loc.volume_id = e.volume_id;
    loc.clone_id = e.clone_id;
    loc.flags = e.flags;
    return loc;
}

// nservers is range-checked by the decoder, but entries can be built by hand too.
size_t server_count(int32_t nservers) {
    return static_cast<size_t>(std::clamp<int32_t>(nservers, 0, static_cast<int32_t>(max_servers)));
}

}  // namespace

VolumeLocation to_location(const nvldbentry& e) {
    VolumeLocation loc = common_fields(e);
    for (size_t i = 0; i < server_count(e.nservers); ++i)
        loc.sites.push_back(VolumeSite{std::nullopt, e.server_number[i], 0, e.server_partition[i], e.server_flags[i]});
    return loc;
}

VolumeLocation to_location(const uvldbentry& e) {
    VolumeLocation loc = common_fields(e);
    for (size_t i = 0; i < server_count(e.nservers); ++i) {
        VolumeSite s;
        if (e.server_flags[i] & VLSF_UUID)
            s.uuid = e.server_number[i];
        else
            s.ipv4 = e.server_number[i].time_low;
        s.unique = e.server_unique[i];
        s.partition = e.server_partition[i];
        s.flags = e.server_flags[i];
        loc.sites.push_back(s);
    }
    return loc;
}

std::string partition_name(int32_t partition) {
    std::string name = "/vicep";
    if (partition < 0) return name + "?";
    if (partition < 26) return name + static_cast<char>('a' + partition);
    const int32_t first = partition / 26 - 1, second = partition % 26;
    if (first >= 26) return name + "?";
    name += static_cast<char>('a' + first);
    name += static_cast<char>('a' + second);
    return name;
}

}  // namespace afs::wire::vl
