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
    };
    std::vector<KerberosKey> kerberos;
    std::string anonymous_because;  // set when netcp fell back to anonymous: no Kerberos ticket

    // A hint for a refusal of every key at `now`: an expired Kerberos ticket (run kinit), or
    // anonymity for want of one. Empty when there is nothing to add.
    std::string refusal_hint(uint32_t now) const;
};

tl::expected<AfsSetup, Failure> afs_setup(const Options& options, const std::string& cell);

}  // namespace netcp
