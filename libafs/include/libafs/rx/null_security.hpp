// rxnull, security index 0: no authentication and no protection. Packets go out as they
// are, with a zero header checksum; the peer treats us as anonymous (system:anyuser).
// A fileserver's callback connections to a client use it, and so do anonymous lookups.
#pragma once

#include <memory>

#include "libafs/rx/security.hpp"

namespace afs::rx {

class NullSecurityClass final : public SecurityClass {
public:
    uint8_t index() const override { return security_index_null; }
    std::string describe() const override { return "rxnull (anonymous)"; }
    std::unique_ptr<ConnectionSecurity> new_connection(const ConnectionIdentity& id) override;
};

// The shared instance (the class has no state).
std::shared_ptr<SecurityClass> null_security();

}  // namespace afs::rx
