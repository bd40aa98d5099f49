// AFS text that comes from servers or users: parse_afs_path() (round trip via to_string),
// parse_mount_point() (symlink contents from the fileserver; round trip via
// format_mount_point), parse_acl() (FetchACL text; round trip via format_acl),
// parse_rights(), afsUUID::parse(), split_volume_name(), parse_volume_id().
#include <string>

#include "fuzz_common.hpp"
#include "libafs/wire/acl.hpp"
#include "libafs/wire/path.hpp"
#include "libafs/wire/types.hpp"

namespace wire = afs::wire;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const auto text = netcp_fuzz::text(data, size);
    if (auto p = wire::parse_afs_path(text)) {
        FUZZ_CHECK(wire::is_valid_cell_name(p->cell));
        for (const auto& c : p->components) FUZZ_CHECK(wire::is_valid_name(c));
        auto again = wire::parse_afs_path(wire::to_string(*p));
        FUZZ_CHECK(again.has_value() && *again == *p);
    }
    (void)wire::is_afs_path(text);
    if (auto m = wire::parse_mount_point(text)) {
        auto again = wire::parse_mount_point(wire::format_mount_point(*m));
        FUZZ_CHECK(again.has_value() && *again == *m);
        for (auto t : {wire::VolumeType::rw, wire::VolumeType::ro, wire::VolumeType::backup})
            (void)wire::mount_target_type(*m, t, true);
        auto v = wire::split_volume_name(m->volume);
        (void)wire::parse_volume_id(v.base);
    }
    if (auto acl = wire::parse_acl(text)) {
        if (auto formatted = wire::format_acl(*acl)) {
            auto again = wire::parse_acl(*formatted);
            FUZZ_CHECK(again.has_value() && *again == *acl);
        }
        for (const auto& e : acl->positive) (void)wire::rights_to_string(e.rights);
    }
    // ("none" is 0, which rights_to_string() shows as "": not text parse_rights() takes.)
    if (auto r = wire::parse_rights(text); r && *r != 0) {
        auto again = wire::parse_rights(wire::rights_to_string(*r));
        FUZZ_CHECK(again.has_value() && *again == *r);
    }
    if (auto u = wire::afsUUID::parse(text)) {
        auto again = wire::afsUUID::parse(u->to_string());
        FUZZ_CHECK(again.has_value() && *again == *u);
    }
    (void)wire::split_volume_name(text);
    (void)wire::parse_volume_id(text);
    return 0;
}
