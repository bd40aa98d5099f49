// What netcp needs to speak to an OpenAFS cell, from the command line: where the cell's
// VL servers are (--vlserver, --cellservdb, or the system's CellServDB) and the keys to
// try, in order: the identities given (--ccache, --keytab with --principal, --localauth
// with --user), else the Kerberos ticket in the default credential cache, else anonymous
// rxnull (--auth says whether that fallback is allowed).
#pragma once

#include <string>
#include <vector>

#include <tl/expected.hpp>

#include "libafs/client/client.hpp"
#include "libafs/krb5/service_ticket.hpp"
#include "options.hpp"
#include "report.hpp"

namespace netcp {

struct AfsSetup {
    afs::client::CellConfig cell;
    std::string vl_source;                        // "--vlserver 127.0.0.1:7003", "CellServDB /etc/...", for messages
    std::vector<afs::client::Identity> keys;      // never empty
    // The Kerberos 5 keys among them, for what to tell a user they are refused.
    struct KerberosKey {
        size_t key = 0;       // index into keys
        std::string client;   // "alice@EXAMPLE.ORG"
        uint32_t end = 0;     // the ticket's end, Unix seconds
        bool from_cache = false;
        afs::krb5::Source source;  // where a fresh ticket comes from
    };
    std::vector<KerberosKey> kerberos;
    afs::krb5::Request krb5_request;              // the cell and realm tickets are for
    afs::crypto::Level level = afs::crypto::Level::crypt;

    // Key k again with a fresh ticket, if it is a Kerberos key whose ticket has ended (or
    // ends within a minute) and its source has a later one: a keytab always does, a cache
    // once the user ran kinit (or k5start renewed it). Replaces keys[k]; null otherwise.
    afs::client::Identity renew(size_t k, uint32_t now);
    std::string anonymous_because;  // set when netcp fell back to anonymous: no Kerberos ticket

    // A hint for a refusal of every key at `now`: an expired Kerberos ticket (run kinit), or
    // anonymity for want of one. Empty when there is nothing to add.
    std::string refusal_hint(uint32_t now) const;
};

tl::expected<AfsSetup, Failure> afs_setup(const Options& options, const std::string& cell);

}  // namespace netcp
