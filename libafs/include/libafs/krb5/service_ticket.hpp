// Kerberos 5 identities for AFS, from MIT libkrb5: what `aklog` does, without the kernel.
//
// An identity comes from a credential cache (the user's, after kinit: KRB5CCNAME or the
// default) or from a keytab and a principal (scripts, cron jobs: a memory cache of netcp's
// own, the user's cache is never touched). For the cell, a service ticket is asked for
// afs/CELL@REALM, then afs@REALM, as aklog does; the realm is the one krb5.conf's
// [domain_realm] gives the cell's name, else the cell name upper-cased. The ticket becomes
// an rxkad-k5 token (crypto::make_kerberos5_token).
//
// Reads KRB5_CONFIG and the other Kerberos environment variables like any Kerberos program.
#pragma once

#include <cstdint>
#include <string>

#include <tl/expected.hpp>

#include "libafs/crypto/token.hpp"

namespace afs::krb5 {

struct Source {
    enum class Kind { ccache, keytab };
    Kind kind = Kind::ccache;
    std::string ccache;     // ccache: its name ("FILE:/tmp/krb5cc_1000", "KEYRING:..."); "" = the default
    std::string keytab;     // keytab: its name or path; "" = the default keytab
    std::string principal;  // keytab: the client ("svc", "svc@REALM"; without a realm, the cell's)

    // "the credential cache FILE:/tmp/krb5cc_0", "the keytab /etc/x.keytab (svc@TEST.AFS)".
    std::string describe() const;
};

struct Failure {
    enum class Kind {
        no_credentials,    // no cache, an empty one, or no ticket in it for the realm: kinit
        expired,           // the cache's tickets expired: kinit
        kdc_unreachable,   // no KDC of the realm answered
        no_service,        // the realm knows neither afs/CELL nor afs
        refused,           // the KDC refused (unknown client, wrong keytab key, policy)
        bad_source,        // the keytab or cache cannot be read, the principal cannot be parsed
        other,
    };
    Kind kind = Kind::other;
    std::string message;   // whole sentences a user can act on
};

struct Request {
    std::string cell;    // "example.org"
    std::string realm;   // "" = from [domain_realm] for the cell, else the cell upper-cased
};

struct Credential {
    crypto::Token token;
    std::string client;   // "alice@EXAMPLE.ORG", as Kerberos writes it
    std::string service;  // "afs/example.org@EXAMPLE.ORG"
    int32_t session_enctype = 0;
};

// A service ticket for the cell from `source`, as an rxkad token.
tl::expected<Credential, Failure> get_credential(const Source& source, const Request& request);

// The realm get_credential would use for `cell` (request.realm if set).
tl::expected<std::string, Failure> realm_for(const Request& request);

// A ticket's time as messages write it: "2026-12-03 16:41:11 UTC".
std::string utc_time(uint32_t unix_seconds);

}  // namespace afs::krb5
