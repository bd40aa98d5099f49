// Messages naming every key tried, and the order try_keys tries them in.
#include <doctest/doctest.h>

#include "key_attempts.hpp"
#include "libafs/client/identity.hpp"
#include "libafs/error.hpp"

using namespace afs;
using namespace afs::netfs::detail;

namespace {
const std::error_code denied = std::make_error_code(std::errc::permission_denied);
const std::error_code expired = abort_error(abort_code::RXKADEXPIRED);
}  // namespace

TEST_CASE("one key, the same error for all, different errors") {
    CHECK(describe_attempts({}) == "no identity");
    CHECK(describe_attempts({{"A", denied}}) == "A");
    CHECK(describe_attempts({{"A", denied}, {"B", denied}}) == "any of A, B");
    const std::string mixed = describe_attempts({{"A", denied}, {"B", expired}});
    CHECK(mixed == "A (" + denied.message() + "), then B (" + expired.message() + ")");
    CHECK(mixed.find("RXKADEXPIRED") != std::string::npos);
}

TEST_CASE("the error of all keys reads as one sentence") {
    client::Outcome o;
    o.operation = "RXAFS_StoreData64";
    o.target = "/afs/test.afs/x";
    o.server = "127.1.0.1:7000";
    o.identity = "B";
    auto e = all_keys_failed({{"A", denied}, {"B", denied}}, o);
    CHECK(e.code == denied);
    CHECK(e.message() == "RXAFS_StoreData64 of /afs/test.afs/x on 127.1.0.1:7000 as any of A, B: " + denied.message());
}

TEST_CASE("try_keys: the preferred key first, then the rest in order, and a non-key error stops it") {
    std::vector<client::Identity> keys{client::anonymous(), client::anonymous(), client::anonymous()};
    auto refuse_all = [&](const client::Identity&) -> client::Result<int> {
        client::Outcome o;
        o.operation = "op";
        return tl::unexpected(client::Error{denied, o});
    };
    // Which key a call was made with shows in the index returned: count the calls.
    int n = 0;
    auto nth_works = [&](int works) {
        return [&, works](const client::Identity&) -> client::Result<int> {
            if (n++ == works) return 42;
            return tl::unexpected(client::Error{denied, client::Outcome{}});
        };
    };
    auto r = try_keys<int>(keys, 2, nth_works(2));
    REQUIRE(r);
    CHECK(r->first == 42);
    CHECK(r->second == 1);  // order 2, 0, 1: the third call is key 1
    n = 0;
    r = try_keys<int>(keys, 0, nth_works(1));
    REQUIRE(r);
    CHECK(r->second == 1);
    n = 0;
    r = try_keys<int>(keys, 7, nth_works(0));  // out of range: the last key first
    REQUIRE(r);
    CHECK(r->second == 2);

    auto all = try_keys<int>(keys, 0, refuse_all);
    REQUIRE(!all);
    CHECK(all.error().code == denied);
    CHECK(all.error().message().find("any of rxnull") != std::string::npos);

    int calls = 0;
    auto missing = try_keys<int>(keys, 0, [&](const client::Identity&) -> client::Result<int> {
        ++calls;
        return tl::unexpected(client::Error{std::make_error_code(std::errc::no_such_file_or_directory), {}});
    });
    REQUIRE(!missing);
    CHECK(calls == 1);  // missing for one key is missing for all
    CHECK(missing.error().code == std::errc::no_such_file_or_directory);
}
