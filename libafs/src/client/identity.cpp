// Identities: thin constructors over the security classes.
#include "libafs/client/identity.hpp"

#include "libafs/rx/null_security.hpp"

namespace afs::client {

Identity anonymous() { return rx::null_security(); }

Identity rxkad(crypto::Token token, crypto::Level level) {
    return std::make_shared<crypto::RxkadClient>(std::move(token), level);
}

std::string describe(const Identity& identity) { return identity ? identity->describe() : "no identity"; }

}  // namespace afs::client
