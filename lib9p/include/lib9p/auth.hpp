// Authentication for Tattach: how a client proves who it is to a server that requires it.
//
// 9P2000.L authenticates through an auth fid: Tauth asks the server for one, the client
// writes its credential to it, and Tattach names it. diod's MUNGE scheme works this way
// (lib9p/munge.hpp gives the credential); a server that requires nothing refuses Tauth.
// BlockingClient::attach(aname, uname, n_uname, AttachAuth) runs the whole exchange.
#pragma once

#include <cstdint>
#include <string>

#include "lib9p/error.hpp"

namespace p9 {

// Produces credentials. One credential serves one Tauth (MUNGE credentials are replay-
// protected: each is decoded once).
class Authenticator {
public:
    virtual ~Authenticator() = default;
    // The uid the credentials carry (MUNGE: the uid of the process that asked munged).
    virtual uint32_t uid() const = 0;
    // A fresh credential, written as is to the auth fid.
    virtual result<std::string> credential() = 0;
};

enum class AuthPolicy {
    // Authenticate when the server asks for it (Tauth accepted), attach plainly when it
    // does not (Tauth refused).
    automatic,
    // Authenticate, and fail with errc::auth_not_offered if the server refuses Tauth.
    required,
    // Never send Tauth.
    none,
};

struct AttachAuth {
    AuthPolicy policy = AuthPolicy::none;
    Authenticator* authenticator = nullptr;  // needed unless policy is none
};

}  // namespace p9
