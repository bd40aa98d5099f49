// Messages that name what failed where.
#include <doctest/doctest.h>

#include "libafs/client/file_ref.hpp"
#include "libafs/client/identity.hpp"
#include "libafs/client/outcome.hpp"
#include "libafs/error.hpp"

using namespace afs;
using namespace afs::client;

TEST_CASE("an outcome names the RPC, file, volume, server and identity") {
    Outcome o;
    o.operation = "RXAFS_StoreData64";
    o.target = "/afs/test.afs/test/x";
    o.volume = "test (536870918)";
    o.server = "127.1.0.1:7000";
    o.identity = describe(anonymous());
    o.attempts = 1;
    CHECK(o.describe() ==
          "RXAFS_StoreData64 of /afs/test.afs/test/x in volume test (536870918) on 127.1.0.1:7000 as rxnull (anonymous)");
    o.attempts = 4;
    CHECK(o.message(abort_error(abort_code::VOFFLINE)) ==
          "RXAFS_StoreData64 of /afs/test.afs/test/x in volume test (536870918) on 127.1.0.1:7000 as rxnull "
          "(anonymous), after 4 attempts: VOFFLINE (106): volume is offline");
    CHECK(o.message({}) == o.describe());
}

TEST_CASE("unknown parts are left out, and refusals read as permission errors") {
    Outcome o;
    o.operation = "resolve";
    o.target = "/afs/x.org/a";
    CHECK(o.message(make_error_code(errc::no_such_cell)) == "resolve of /afs/x.org/a: no VL server known for the AFS cell");
    CHECK(Outcome{}.describe() == "AFS operation");
    const Error e{abort_error(abort_code::UAE_BASE + 12), o};  // UAEACCES
    CHECK(e.code == std::errc::permission_denied);
    CHECK(e.message() == "resolve of /afs/x.org/a: Permission denied");
}

TEST_CASE("file references print as cell:volume.vnode.unique, and identities describe themselves") {
    CHECK(FileRef{"test.afs", {536870918, 12, 34}}.to_string() == "test.afs:536870918.12.34");
    CHECK(describe(Identity{}) == "no identity");
    CHECK(describe(anonymous()) == "rxnull (anonymous)");
}
