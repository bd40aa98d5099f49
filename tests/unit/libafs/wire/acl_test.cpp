// ACL text and access rights.
#include <doctest/doctest.h>

#include "libafs/wire/acl.hpp"
#include "libafs/wire/fs.hpp"

using namespace afs;
using namespace afs::wire;

TEST_CASE("an ACL as the fileserver sends it") {
    // What FetchACL returns for a typical home directory, NUL included.
    std::string text = "2\n1\nsystem:administrators\t127\nalice\t127\nsystem:anyuser\t8\n";
    text.push_back('\0');
    auto acl = parse_acl(text);
    REQUIRE(acl);
    REQUIRE(acl->positive.size() == 2);
    REQUIRE(acl->negative.size() == 1);
    CHECK(acl->positive[0] == AclEntry{"system:administrators", 127});
    CHECK(acl->positive[1] == AclEntry{"alice", 127});
    CHECK(acl->negative[0] == AclEntry{"system:anyuser", PRSFS_LOOKUP});
    CHECK(*format_acl(*acl) == text.substr(0, text.size() - 1));
}

TEST_CASE("rights are signed decimals on the wire") {
    Acl acl{{{"bob", PRSFS_USR7 | PRSFS_READ}}, {}};
    auto text = format_acl(acl);
    REQUIRE(text);
    CHECK(*text == "1\n0\nbob\t-2147483647\n");
    CHECK(*parse_acl(*text) == acl);
    CHECK(parse_acl("1\n0\nbob\t4294967295\n")->positive[0].rights == 0xFFFFFFFF);
    CHECK(parse_acl("0\n0\n")->positive.empty());
    // Whitespace between name and rights need not be a tab (the server scans with %s %d).
    CHECK(parse_acl("1\n0\nbob   9\n")->positive[0] == AclEntry{"bob", 9});
}

TEST_CASE("malformed ACL text") {
    CHECK(parse_acl("").error() == errc::truncated);
    CHECK(parse_acl("0\n").error() == errc::truncated);  // no negative count
    CHECK(parse_acl("1\n").error() == errc::bad_value);  // announces more than the text can hold
    CHECK(parse_acl("1\n0\n").error() == errc::truncated);  // the announced entry is missing
    CHECK(parse_acl("2\n0\nbob\t1\nalice\t2").error() == errc::truncated);  // last line unterminated
    CHECK(parse_acl("x\n0\n").error() == errc::bad_value);
    CHECK(parse_acl("-1\n0\n").error() == errc::bad_value);
    CHECK(parse_acl("99999999999\n0\n").error() == errc::bad_value);
    CHECK(parse_acl("1\n0\nbob\tx\n").error() == errc::bad_value);
    CHECK(parse_acl("1\n0\nbob\n").error() == errc::bad_value);
    CHECK(parse_acl("1\n0\nbob\t1 2\n").error() == errc::bad_value);
    CHECK(parse_acl("1\n0\nbob\t4294967296\n").error() == errc::bad_value);
    CHECK(parse_acl("0\n0\nextra\n").error() == errc::trailing_bytes);
    // Counts larger than the text could hold are lies, whatever follows.
    CHECK(parse_acl("1000\n1000\na\t1\n").error() == errc::bad_value);
}

TEST_CASE("names that cannot be written") {
    CHECK(format_acl(Acl{{{"", 1}}, {}}).error() == errc::bad_value);
    CHECK(format_acl(Acl{{{"two words", 1}}, {}}).error() == errc::bad_value);
    CHECK(format_acl(Acl{{}, {{"new\nline", 1}}}).error() == errc::bad_value);
    CHECK(format_acl(Acl{{{std::string(64, 'x'), 1}}, {}}).error() == errc::too_large);
    CHECK(format_acl(Acl{{{std::string(63, 'x'), 1}}, {}}));
}

TEST_CASE("rights letters") {
    CHECK(rights_to_string(127) == "rlidwka");
    CHECK(rights_to_string(PRSFS_READ | PRSFS_LOOKUP) == "rl");
    CHECK(rights_to_string(PRSFS_USR0 | PRSFS_USR7) == "AH");
    CHECK(rights_to_string(0).empty());
    CHECK(parse_rights("rlidwka") == 127u);
    CHECK(parse_rights("all") == 127u);
    CHECK(parse_rights("read") == (PRSFS_READ | PRSFS_LOOKUP));
    CHECK(parse_rights("write") == 63u);
    CHECK(parse_rights("none") == 0u);
    CHECK(parse_rights("lr") == (PRSFS_READ | PRSFS_LOOKUP));
    CHECK(parse_rights("B") == PRSFS_USR1);
    CHECK(!parse_rights("rx"));
    CHECK(!parse_rights(""));
}

TEST_CASE("StoreACL carries the text with its NUL and fits AFSOpaque") {
    auto req = fs::make_store_acl({1, 2, 3}, Acl{{{"alice", 127}}, {}});
    REQUIRE(req);
    CHECK(req->fid == AFSFid{1, 2, 3});
    CHECK(req->acl == std::string("1\n0\nalice\t127\n\0", 15));

    Acl big;
    for (int i = 0; i < 100; ++i) big.positive.push_back({"user" + std::to_string(i), 127});
    CHECK(fs::make_store_acl({1, 2, 3}, big).error() == errc::too_large);
}
