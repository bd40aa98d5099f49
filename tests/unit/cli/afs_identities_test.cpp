// The AFS identities of a command line: their order (the order they are tried in), the
// combinations refused as usage errors, and the hint a refusal of every key gets.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "afs_setup.hpp"
#include "exit_codes.hpp"
#include "options.hpp"

using namespace netcp;

namespace {

ParsedCommandLine parse(std::vector<std::string> args) {
    args.insert(args.begin(), "netcp");
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    return parse_command_line(static_cast<int>(argv.size()), argv.data());
}

}  // namespace

TEST_CASE("identities keep the command line's order across --ccache, --principal and --user") {
    auto p = parse({"--ccache", "FILE:/a", "--localauth", "KF", "--user", "bob", "--keytab", "kt", "--principal", "svc",
                    "--ccache", "FILE:/b", "src", "afs://c/x"});
    REQUIRE(p.options);
    using Kind = Options::AfsIdentity::Kind;
    const auto& ids = p.options->afs_identities;
    REQUIRE(ids.size() == 4);
    CHECK((ids[0].kind == Kind::ccache && ids[0].name == "FILE:/a"));
    CHECK((ids[1].kind == Kind::localauth_user && ids[1].name == "bob"));
    CHECK((ids[2].kind == Kind::keytab_principal && ids[2].name == "svc"));
    CHECK((ids[3].kind == Kind::ccache && ids[3].name == "FILE:/b"));
    CHECK(p.options->keytab == "kt");
}

TEST_CASE("identity combinations that cannot work are usage errors") {
    CHECK(parse({"--principal", "svc", "a", "b"}).exit_code == exit_usage);
    CHECK(parse({"--keytab", "kt", "a", "b"}).exit_code == exit_usage);
    CHECK(parse({"--auth", "none", "--ccache", "FILE:/a", "a", "b"}).exit_code == exit_usage);
    CHECK(parse({"--auth", "kerberos", "a", "b"}).exit_code == exit_usage);
    auto ok = parse({"--auth", "krb5", "--realm", "EXAMPLE.ORG", "a", "b"});
    REQUIRE(ok.options);
    CHECK(ok.options->auth == Options::Auth::krb5);
    CHECK(ok.options->realm == "EXAMPLE.ORG");
}

TEST_CASE("the refusal hint: an expired Kerberos ticket says kinit, an anonymous fallback says why") {
    AfsSetup s;
    s.keys.resize(2);
    s.kerberos.push_back({0, "alice@EXAMPLE.ORG", 1'800'000'000, true, {}});
    s.kerberos.push_back({1, "svc@EXAMPLE.ORG", 1'900'000'000, false, {}});
    CHECK(s.refusal_hint(1'799'999'999).empty());
    const auto hint = s.refusal_hint(1'800'000'000);
    CHECK(hint == "the Kerberos ticket of alice@EXAMPLE.ORG expired at 2027-01-15 08:00:00 UTC: run kinit "
                  "alice@EXAMPLE.ORG and copy again");
    CHECK(s.refusal_hint(1'900'000'001).find("svc@EXAMPLE.ORG expired at") != std::string::npos);

    AfsSetup anon;
    anon.keys.resize(1);
    anon.anonymous_because = "the credential cache FILE:/x holds no Kerberos ticket";
    CHECK(anon.refusal_hint(0) == "netcp spoke anonymously (system:anyuser): the credential cache FILE:/x holds no "
                                  "Kerberos ticket");
}
