// Who a ticket or token speaks for: an AFS (Kerberos 4 style) principal.
#pragma once

#include <string>
#include <system_error>
#include <utility>

namespace afs::crypto {

// Longest name, instance or cell a ticket may carry (64-byte fields, NUL included).
inline constexpr size_t max_principal_component = 63;

struct Principal {
    Principal() = default;
    explicit Principal(std::string n, std::string i = {}, std::string c = {})
        : name(std::move(n)), instance(std::move(i)), cell(std::move(c)) {}

    std::string name;      // "bob", or "afs" for the superuser identity of -localauth
    std::string instance;  // usually empty ("admin" in bob.admin)
    std::string cell;      // the Kerberos realm / AFS cell; empty means the server's own cell

    // "bob", "bob.admin", "bob@test.afs", "bob.admin@test.afs".
    std::string to_string() const;
    bool operator==(const Principal&) const = default;
};

// errc::bad_value unless the name has 1..63 characters, instance and cell 0..63, and
// none contains a NUL (each travels as a NUL-terminated string).
std::error_code validate(const Principal& p);

}  // namespace afs::crypto
