// The VL codecs: requests and replies of every VL RPC (round trip), and what the client
// makes of a decoded entry (to_location, sites and volume types, partition names).
#include "libafs/wire/vl.hpp"
#include "xdr_rpc.hpp"

namespace vl = afs::wire::vl;

namespace netcp_fuzz {

template <class Entry> void use_entry(const Entry& e) {
    auto loc = vl::to_location(e);
    for (auto t : {afs::wire::VolumeType::rw, afs::wire::VolumeType::ro, afs::wire::VolumeType::backup}) {
        (void)loc.exists(t);
        for (const auto& site : loc.sites_for(t)) {
            FUZZ_CHECK(site.holds(t));
            (void)vl::partition_name(site.partition);
        }
        (void)loc.type_of(loc.id(t));
    }
}

template <> void inspect(const vl::GetEntryByNameN::Reply& r) { use_entry(r.entry); }
template <> void inspect(const vl::GetEntryByNameU::Reply& r) { use_entry(r.entry); }

}  // namespace netcp_fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    netcp_fuzz::dispatch_rpc<vl::GetEntryByNameN, vl::GetEntryByNameU, vl::GetAddrsU>(data, size);
    // A whole entry on its own, outside any RPC.
    vl::nvldbentry n;
    if (auto* e = netcp_fuzz::roundtrip_xdr(netcp_fuzz::bytes(data, size), n)) netcp_fuzz::use_entry(*e);
    vl::uvldbentry u;
    if (auto* e = netcp_fuzz::roundtrip_xdr(netcp_fuzz::bytes(data, size), u)) netcp_fuzz::use_entry(*e);
    return 0;
}
