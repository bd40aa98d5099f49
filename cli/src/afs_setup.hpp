// What netcp needs to speak to an OpenAFS cell, from the command line: where the cell's
// VL servers are (--vlserver, --cellservdb, or the system's CellServDB) and the keys to
// try, in order (--localauth KEYFILE with --user NAME..., else anonymous rxnull).
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
};

tl::expected<AfsSetup, Failure> afs_setup(const Options& options, const std::string& cell);

}  // namespace netcp
