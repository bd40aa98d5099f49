// AFS access rights and the ACL text FetchACL returns and StoreACL takes:
//
//     "<number of positive entries>\n<number of negative entries>\n"
//     then one "<name>\t<rights as signed decimal>\n" line per entry, positive ones first.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "libafs/error.hpp"

namespace afs::wire {

// Access-right bits (prs_fs.h), also used in AFSFetchStatus::caller_access.
inline constexpr uint32_t PRSFS_READ = 1, PRSFS_WRITE = 2, PRSFS_INSERT = 4, PRSFS_LOOKUP = 8, PRSFS_DELETE = 16,
                          PRSFS_LOCK = 32, PRSFS_ADMINISTER = 64;
inline constexpr uint32_t PRSFS_USR0 = 0x01000000, PRSFS_USR1 = 0x02000000, PRSFS_USR2 = 0x04000000,
                          PRSFS_USR3 = 0x08000000, PRSFS_USR4 = 0x10000000, PRSFS_USR5 = 0x20000000,
                          PRSFS_USR6 = 0x40000000, PRSFS_USR7 = 0x80000000;

// A protection-database name: what ptserver accepts (PR_MAXNAMELEN 64, NUL included).
inline constexpr size_t acl_name_max = 63;

struct AclEntry {
    std::string name;  // a user or group ("system:anyuser")
    uint32_t rights = 0;
    bool operator==(const AclEntry&) const = default;
};

struct Acl {
    std::vector<AclEntry> positive;
    std::vector<AclEntry> negative;  // rights explicitly denied
    bool operator==(const Acl&) const = default;
};

// Parses ACL text; anything after a NUL is ignored (OpenAFS NUL-terminates it). Malformed
// text is errc::bad_value, text that ends before its announced entries errc::truncated.
[[nodiscard]] result<Acl> parse_acl(std::string_view text);

// The text for `acl` (without a NUL). A name that is empty, longer than 63 bytes, or holds
// whitespace or control characters cannot be written: errc::bad_value / errc::too_large.
[[nodiscard]] result<std::string> format_acl(const Acl& acl);

// "rlidwka" letters for the seven standard rights, then "ABCDEFGH" for USR0..USR7, as
// `fs listacl` shows them.
std::string rights_to_string(uint32_t rights);

// Letters as above, or one of the words "read" (rl), "write" (rlidwk), "all" (rlidwka),
// "none" (nothing). Anything else is nullopt.
std::optional<uint32_t> parse_rights(std::string_view text);

}  // namespace afs::wire
