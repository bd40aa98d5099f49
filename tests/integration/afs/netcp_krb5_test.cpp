// netcp with Kerberos 5 identities against the real cell and its KDC, the way a user and a
// cron job run it: kinit then netcp with no flags; --keytab/--principal; several identities
// with the key switching of the write engine; and what it says when a ticket is missing,
// expired or refused. OpenAFS's own client code (afsio, libafscp) reads what netcp wrote.
#include <doctest/doctest.h>

#include <chrono>
#include <filesystem>
#include <string>
#include <thread>

#include "afs_cell.hpp"
#include "afs_setup.hpp"
#include "test_util.hpp"

using afstest::AfsCell;
namespace fs = std::filesystem;

namespace {

std::string url(const std::string& afs_path) { return "afs://" + afs_path.substr(std::string("/afs/").size()); }

// Runs a command with the cell's Kerberos configuration and credential cache `ccache`.
testutil::CommandResult with_krb5(const AfsCell& cell, const std::string& ccache, const std::string& command) {
    return testutil::run("KRB5_CONFIG=" + testutil::shell_quote(cell["AFS_KRB5_CONFIG"]) +
                         " KRB5CCNAME=" + testutil::shell_quote(ccache) + " " + command + " 2>&1");
}

testutil::CommandResult run_netcp(const AfsCell& cell, const std::string& ccache, const std::string& args) {
    return with_krb5(cell, ccache,
                     std::string("timeout 300 ") + NETCP_BINARY + " --vlserver " +
                         testutil::shell_quote(cell["AFS_VLSERVER"]) + " " + args);
}

// kinit USER into CCACHE: with the password on stdin, or from the users' keytab.
void kinit_password(const AfsCell& cell, const std::string& user, const std::string& password,
                    const std::string& ccache, const std::string& extra = {}) {
    auto r = with_krb5(cell, ccache,
                       "sh -c " + testutil::shell_quote("echo '" + password + "' | kinit " + extra + " " + user +
                                                        " >/dev/null"));
    REQUIRE_MESSAGE(r.status == 0, r.output);
}
void kinit_keytab(const AfsCell& cell, const std::string& user, const std::string& ccache,
                  const std::string& extra = {}) {
    auto r = with_krb5(cell, ccache,
                       "kinit " + extra + " -k -t " + testutil::shell_quote(cell["AFS_KRB5_USERS_KEYTAB"]) + " " + user);
    REQUIRE_MESSAGE(r.status == 0, r.output);
}

long long stat_value(const std::string& out, const std::string& name) {
    const auto at = out.find(" " + name + "=");
    if (at == std::string::npos) return -1;
    return std::stoll(out.substr(at + name.size() + 2));
}

bool contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

}  // namespace

TEST_CASE("after kinit alice, netcp needs no flag: up and down in her directory at every rxkad level") {
    const auto& cell = AfsCell::get();
    testutil::TempDir tmp("netcp-krb5-cli");
    const std::string cache = "FILE:" + (tmp / "alice.cc").string();
    kinit_password(cell, "alice", cell["AFS_KRB5_ALICE_PASSWORD"], cache);
    const auto src = tmp / "data";
    testutil::write_random_file(src, 9u << 20, 11);
    const std::string sum = testutil::sha256_file(src);
    for (const std::string level : {"clear", "auth", "crypt"}) {
        CAPTURE(level);
        const std::string remote = cell["AFS_ALICE_ONLY_DIR"] + "/" + AfsCell::unique_name("kinit-" + level);
        const std::string security = level == "crypt" ? "" : "--security " + level + " ";
        auto up = run_netcp(cell, cache, security + "--stats " + src.string() + " " + url(remote));
        REQUIRE_MESSAGE(up.status == 0, up.output);
        CHECK_MESSAGE(contains(up.output, "as alice@TEST.AFS (Kerberos 5)): stores="), up.output);
        const auto back = tmp / ("back-" + level);
        auto down = run_netcp(cell, cache, security + url(remote) + " " + back.string());
        REQUIRE_MESSAGE(down.status == 0, down.output);
        CHECK(testutil::sha256_file(back) == sum);
    }

    // OpenAFS's own client code reads the file netcp wrote as alice: afsio (anonymous: it
    // takes tokens only from a kernel module, which this machine does not load) and the
    // fixture's libafscp helper as alice. afsio exits 0 even when a read fails, so only the
    // bytes count.
    const std::string remote = cell["AFS_ALICE_ONLY_DIR"] + "/" + AfsCell::unique_name("afsio");
    REQUIRE(run_netcp(cell, cache, src.string() + " " + url(remote)).status == 0);
    auto afsio = cell.afsio("read -file " + remote + " > " + (tmp / "afsio").string());
    REQUIRE_MESSAGE(afsio.status == 0, afsio.output);
    CHECK(testutil::sha256_file(tmp / "afsio") == sum);
    auto helper = testutil::run(testutil::shell_quote(cell["AFS_HELPER"]) + " -u alice read " + remote + " > " +
                                (tmp / "helper").string());
    REQUIRE_MESSAGE(helper.status == 0, helper.output);
    CHECK(testutil::sha256_file(tmp / "helper") == sum);
}

TEST_CASE("a keytab for scripts: --keytab --principal, the user's cache untouched") {
    const auto& cell = AfsCell::get();
    testutil::TempDir tmp("netcp-krb5-keytab");
    const std::string cache = "FILE:" + (tmp / "never").string();
    const auto src = tmp / "data";
    testutil::write_random_file(src, 2u << 20, 12);
    const std::string remote = cell["AFS_ALICE_ONLY_DIR"] + "/" + AfsCell::unique_name("keytab");
    const std::string kt = "--keytab " + testutil::shell_quote(cell["AFS_KRB5_USERS_KEYTAB"]) + " --principal alice ";
    auto up = run_netcp(cell, cache, kt + src.string() + " " + url(remote));
    REQUIRE_MESSAGE(up.status == 0, up.output);
    auto down = run_netcp(cell, cache, kt + url(remote) + " " + (tmp / "back").string());
    REQUIRE_MESSAGE(down.status == 0, down.output);
    CHECK(testutil::sha256_file(tmp / "back") == testutil::sha256_file(src));
    CHECK_FALSE(fs::exists(tmp / "never"));

    SUBCASE("a principal the keytab lacks: exit 4 naming it") {
        auto r = run_netcp(cell, cache, "--keytab " + testutil::shell_quote(cell["AFS_KRB5_USERS_KEYTAB"]) +
                                        " --principal carol " + src.string() + " " + url(remote + "-carol"));
        CHECK(r.status == 4);
        CHECK_MESSAGE(contains(r.output, "no key for carol@TEST.AFS"), r.output);
    }
    SUBCASE("--keytab without --principal, --principal without --keytab: usage") {
        CHECK(run_netcp(cell, cache, "--keytab x " + src.string() + " " + url(remote)).status == 2);
        CHECK(run_netcp(cell, cache, "--principal x " + src.string() + " " + url(remote)).status == 2);
        CHECK(run_netcp(cell, cache, "--auth munge " + src.string() + " " + url(remote)).status == 2);
    }
}

TEST_CASE("bob is refused in alice's directory, and with bob then alice writeback switches to alice") {
    const auto& cell = AfsCell::get();
    testutil::TempDir tmp("netcp-krb5-switch");
    const std::string alice = "FILE:" + (tmp / "alice.cc").string(), bob = "FILE:" + (tmp / "bob.cc").string();
    kinit_keytab(cell, "alice", alice);
    kinit_password(cell, "bob", cell["AFS_KRB5_BOB_PASSWORD"], bob);
    const auto src = tmp / "data";
    testutil::write_random_file(src, 24u << 20, 13);

    const std::string refused = cell["AFS_ALICE_ONLY_DIR"] + "/" + AfsCell::unique_name("bob");
    auto r = run_netcp(cell, bob, src.string() + " " + url(refused));
    CHECK(r.status != 0);
    CHECK_MESSAGE(contains(r.output, "bob@TEST.AFS (Kerberos 5)"), r.output);
    CHECK_MESSAGE(contains(r.output, "Permission denied"), r.output);

    const std::string remote = cell["AFS_ALICE_ONLY_DIR"] + "/" + AfsCell::unique_name("bob-then-alice");
    auto up = run_netcp(cell, alice, "--stats --ccache " + bob + " --ccache " + alice + " " + src.string() + " " + url(remote));
    REQUIRE_MESSAGE(up.status == 0, up.output);
    MESSAGE(up.output);
    CHECK(contains(up.output, "afs key 1 (rxkad crypt as bob@TEST.AFS (Kerberos 5)): stores=0 bytes=0"));
    CHECK(contains(up.output, "afs key 2 (rxkad crypt as alice@TEST.AFS (Kerberos 5)): stores="));
    CHECK(stat_value(up.output, "store_bytes") == 24 << 20);
    auto down = run_netcp(cell, alice, url(remote) + " " + (tmp / "back").string());
    REQUIRE_MESSAGE(down.status == 0, down.output);
    CHECK(testutil::sha256_file(tmp / "back") == testutil::sha256_file(src));
}

TEST_CASE("no ticket, an expired one: what netcp says") {
    const auto& cell = AfsCell::get();
    testutil::TempDir tmp("netcp-krb5-missing");
    const auto src = tmp / "data";
    testutil::write_random_file(src, 100'000, 14);
    const std::string remote = cell["AFS_ALICE_ONLY_DIR"] + "/" + AfsCell::unique_name("missing");
    const std::string none = "FILE:" + (tmp / "none").string();

    SUBCASE("auto without a ticket: anonymous, and a refusal says to kinit") {
        auto pub = run_netcp(cell, none, url(cell["AFS_PUB_FILE"]) + " " + (tmp / "pub").string());
        CHECK_MESSAGE(pub.status == 0, pub.output);
        auto r = run_netcp(cell, none, src.string() + " " + url(remote));
        CHECK(r.status != 0);
        CHECK_MESSAGE(contains(r.output, "as rxnull (anonymous): Permission denied"), r.output);
        CHECK_MESSAGE(contains(r.output, "netcp spoke anonymously"), r.output);
        CHECK_MESSAGE(contains(r.output, "run kinit USER@TEST.AFS"), r.output);
    }
    SUBCASE("--auth krb5 without a ticket: exit 4, kinit") {
        auto r = run_netcp(cell, none, "--auth krb5 " + src.string() + " " + url(remote));
        CHECK(r.status == 4);
        CHECK_MESSAGE(contains(r.output, "holds no Kerberos ticket"), r.output);
        CHECK_MESSAGE(contains(r.output, "run kinit USER@TEST.AFS"), r.output);
    }
    SUBCASE("expired tickets: exit 4, kinit alice again") {
        const std::string cache = "FILE:" + (tmp / "short").string();
        kinit_keytab(cell, "alice", cache, "-l 2s");
        std::this_thread::sleep_for(std::chrono::seconds(3));
        auto r = run_netcp(cell, cache, src.string() + " " + url(remote));
        CHECK(r.status == 4);
        CHECK_MESSAGE(contains(r.output, "expired at"), r.output);
        CHECK_MESSAGE(contains(r.output, "run kinit alice@TEST.AFS again"), r.output);
    }
    SUBCASE("--auth none with an identity: usage") {
        CHECK(run_netcp(cell, none, "--auth none --ccache " + none + " " + src.string() + " " + url(remote)).status == 2);
    }
}

TEST_CASE("netcp renews a Kerberos key whose ticket ended: from its keytab, from a cache kinit renewed") {
    const auto& cell = AfsCell::get();
    testutil::TempDir tmp("netcp-krb5-renew");
    ::setenv("KRB5_CONFIG", cell["AFS_KRB5_CONFIG"].c_str(), 1);
    const std::string cache = "FILE:" + (tmp / "cc").string();
    kinit_keytab(cell, "alice", cache);
    netcp::AfsSetup s;
    s.krb5_request = {cell.cell, ""};
    s.keys.resize(2);
    const uint32_t now = afs::crypto::unix_now();
    s.kerberos.push_back({0, "alice@TEST.AFS", now - 10, false,
                          {afs::krb5::Source::Kind::keytab, {}, cell["AFS_KRB5_USERS_KEYTAB"], "alice"}});
    const afs::krb5::Source cached{afs::krb5::Source::Kind::ccache, cache, {}, {}};
    auto first = afs::krb5::get_credential(cached, s.krb5_request);
    REQUIRE_MESSAGE(first, first.error().message);
    const uint32_t first_end = first->token.end();
    s.kerberos.push_back({1, "alice@TEST.AFS", first_end, true, cached});

    auto fresh = s.renew(0, now);
    REQUIRE(fresh);
    CHECK(s.keys[0] == fresh);
    CHECK(s.kerberos[0].end > now + 3600);
    CHECK_MESSAGE(afs::client::describe(fresh).find("alice@TEST.AFS (Kerberos 5)") != std::string::npos,
                  afs::client::describe(fresh));
    CHECK_FALSE(s.renew(1, now));                 // its ticket is still good: a refusal is the ACL's
    CHECK_FALSE(s.renew(1, first_end + 10));      // ended, and the cache holds nothing newer
    std::this_thread::sleep_for(std::chrono::milliseconds(1100));
    kinit_keytab(cell, "alice", cache);           // the user renews
    CHECK(s.renew(1, first_end + 10));
    CHECK(s.kerberos[1].end > first_end);
    // The renewed key writes.
    const std::string remote = cell["AFS_ALICE_ONLY_DIR"] + "/" + AfsCell::unique_name("renewed");
    auto c = cell.client();
    const std::string text = "renewed";
    auto w = c->write_file(fresh, remote, afstest::as_bytes(text));
    REQUIRE_MESSAGE(w, w.error().message());
    REQUIRE(c->remove_file(fresh, remote));
}
