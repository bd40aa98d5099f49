// Kerberos 5 identities against the real cell and its real KDC (the cell fixture starts an
// MIT KDC for the realm TEST.AFS, gives the servers the afs/test.afs key through asetkey's
// rxkad_krb5 type, and makes alice, bob and admin principals with pts entries):
//
//  - the rxkad-k5 key derivation gives what OpenAFS's own tkt_DeriveDesKey gives, on
//    random keys of every enctype (the fixture helper runs OpenAFS's function);
//  - a ticket from a credential cache (kinit with a password) and from a keytab: the
//    fileserver takes it, and the file it creates belongs to alice's pts id;
//  - each session-key enctype the KDC can issue (AES-SHA1, AES-SHA2, Camellia): the
//    fileserver derives the same rxkad key (or no call could succeed), data goes both ways;
//  - what a missing, expired or refused credential says.
#include <doctest/doctest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <random>
#include <sstream>
#include <thread>

#include "afs_cell.hpp"
#include "libafs/crypto/kerberos5_token.hpp"
#include "libafs/krb5/service_ticket.hpp"
#include "test_util.hpp"

using namespace afs;
using afstest::AfsCell;
namespace fs = std::filesystem;

namespace {

std::string hex_of(std::span<const std::byte> b) {
    static const char* digits = "0123456789abcdef";
    std::string s;
    for (auto x : b) {
        s += digits[static_cast<unsigned>(x) >> 4];
        s += digits[static_cast<unsigned>(x) & 15];
    }
    return s;
}

// Runs `command` with the cell's Kerberos configuration (or `config`) and cache `ccache`.
testutil::CommandResult with_krb5(const AfsCell& cell, const std::string& ccache, const std::string& command,
                                  const std::string& config = {}) {
    return testutil::run("KRB5_CONFIG=" + testutil::shell_quote(config.empty() ? cell["AFS_KRB5_CONFIG"] : config) +
                         " KRB5CCNAME=" + testutil::shell_quote(ccache) + " " + command + " 2>&1");
}

// libkrb5 reads its environment: point it at the cell's realm and the given cache for the
// duration of a scope.
class Krb5Env {
public:
    Krb5Env(const std::string& config, const std::string& ccache) {
        save("KRB5_CONFIG", config);
        save("KRB5CCNAME", ccache);
    }
    ~Krb5Env() {
        for (auto& [name, value] : saved_) {
            if (value) ::setenv(name.c_str(), value->c_str(), 1);
            else ::unsetenv(name.c_str());
        }
    }

private:
    void save(const std::string& name, const std::string& value) {
        const char* old = std::getenv(name.c_str());
        saved_.emplace_back(name, old ? std::optional<std::string>(old) : std::nullopt);
        ::setenv(name.c_str(), value.c_str(), 1);
    }
    std::vector<std::pair<std::string, std::optional<std::string>>> saved_;
};

// kinit USER into CCACHE from the users' keytab; extra options (e.g. "-l 20s") first.
void kinit_keytab(const AfsCell& cell, const std::string& user, const std::string& ccache,
                  const std::string& extra = {}, const std::string& config = {}) {
    auto r = with_krb5(cell, ccache,
                       "kinit " + extra + " -k -t " + testutil::shell_quote(cell["AFS_KRB5_USERS_KEYTAB"]) + " " + user,
                       config);
    REQUIRE_MESSAGE(r.status == 0, r.output);
}

// A krb5.conf that asks the KDC for session keys of `enctype` first.
std::string config_preferring(const AfsCell& cell, const fs::path& dir, const std::string& enctype) {
    std::ifstream in(cell["AFS_KRB5_CONFIG"]);
    std::stringstream ss;
    ss << in.rdbuf();
    std::string text = ss.str();
    const std::string section = "[libdefaults]\n";
    const auto at = text.find(section);
    REQUIRE(at != std::string::npos);
    // The TGT's own key (aes256) must stay permitted, or no TGS request can be made.
    text.insert(at + section.size(), "    default_tgs_enctypes = " + enctype + " aes256-cts-hmac-sha1-96\n");
    const fs::path p = dir / ("krb5-" + enctype + ".conf");
    std::ofstream(p) << text;
    return p.string();
}

tl::expected<krb5::Credential, krb5::Failure> credential(const AfsCell& cell, const krb5::Source& source) {
    return krb5::get_credential(source, {cell.cell, ""});
}

// Creates `path` as `who`, stores `data`, reads it back; returns the new file's status.
wire::AFSFetchStatus round_trip(const AfsCell& cell, const client::Identity& who, const std::string& path,
                                std::span<const std::byte> data) {
    auto c = cell.client();
    auto w = c->write_file(who, path, data);
    REQUIRE_MESSAGE(w, w.error().message());
    auto r = c->read_file(who, path);
    REQUIRE_MESSAGE(r, r.error().message());
    CHECK(r->size() == data.size());
    CHECK(std::equal(r->begin(), r->end(), data.begin(), data.end()));
    auto node = c->resolve(who, path);
    REQUIRE_MESSAGE(node, node.error().message());
    auto st = c->fetch_status(who, node->ref);
    REQUIRE_MESSAGE(st, st.error().message());
    REQUIRE(c->remove_file(who, path));
    return st->status;
}

std::vector<std::byte> random_bytes(size_t n, uint32_t seed) {
    std::mt19937 g(seed);
    std::vector<std::byte> v(n);
    for (auto& b : v) b = static_cast<std::byte>(g());
    return v;
}

}  // namespace

TEST_CASE("the rxkad-k5 key derivation gives what OpenAFS's tkt_DeriveDesKey gives, on random keys") {
    const auto& cell = AfsCell::get();
    testutil::TempDir tmp("netcp-krb5-kdf");
    struct Case {
        int32_t enctype;
        size_t size;
    };
    // Every family: single DES (used as is), triple DES (squeezed), AES, RC4, Camellia, an
    // enctype neither side knows (derived), refused ones, and sizes the rules turn away.
    const std::vector<Case> cases = {{1, 8},   {2, 8},   {3, 8},   {5, 24},  {7, 24},  {16, 24}, {16, 48},
                                     {17, 16}, {18, 32}, {19, 16}, {20, 32}, {23, 16}, {24, 16}, {25, 16},
                                     {26, 32}, {30, 20}, {18, 7},  {0, 16},  {4, 16},  {8, 16},  {15, 16},
                                     {-3, 16}, {1, 7},   {16, 20}, {17, 6},  {18, 200}};
    std::mt19937 g(20261203);
    std::ostringstream input;
    std::vector<std::pair<Case, std::vector<std::byte>>> keys;
    for (const auto& c : cases) {
        for (int n = 0; n < 40; ++n) {
            std::vector<std::byte> key(c.size);
            for (auto& b : key) b = static_cast<std::byte>(g());
            input << c.enctype << " " << hex_of(key) << "\n";
            keys.emplace_back(c, std::move(key));
        }
    }
    const auto in = tmp / "keys";
    std::ofstream(in) << input.str();
    auto r = testutil::run(testutil::shell_quote(cell["AFS_HELPER"]) + " derive-des-key < " + in.string());
    REQUIRE_MESSAGE(r.status == 0, r.output);
    std::istringstream lines(r.output);
    size_t checked = 0, refused = 0;
    for (const auto& [c, key] : keys) {
        std::string openafs;
        REQUIRE(std::getline(lines, openafs));
        CAPTURE(c.enctype);
        CAPTURE(hex_of(key));
        auto ours = crypto::derive_rxkad_key(c.enctype, key);
        if (openafs.rfind("error", 0) == 0) {
            CHECK_FALSE(ours);
            ++refused;
        } else {
            REQUIRE(ours);
            CHECK(hex_of(ours->bytes()) == openafs);
            ++checked;
        }
    }
    MESSAGE(checked << " keys derived alike, " << refused << " refused by both");
    CHECK(checked == 40 * 18);
}

TEST_CASE("a ticket from kinit (password) and from a keytab: the fileserver knows alice") {
    const auto& cell = AfsCell::get();
    testutil::TempDir tmp("netcp-krb5");
    const std::string cache = "FILE:" + (tmp / "cc").string();
    auto r = with_krb5(cell, cache, "sh -c " + testutil::shell_quote("echo '" + cell["AFS_KRB5_ALICE_PASSWORD"] +
                                                                     "' | kinit alice >/dev/null"));
    REQUIRE_MESSAGE(r.status == 0, r.output);
    Krb5Env env(cell["AFS_KRB5_CONFIG"], "FILE:" + (tmp / "not-used").string());
    const auto data = random_bytes(300'000, 1);

    SUBCASE("credential cache") {
        auto cred = credential(cell, {krb5::Source::Kind::ccache, cache, {}, {}});
        REQUIRE_MESSAGE(cred, cred.error().message);
        CHECK(cred->client == "alice@TEST.AFS");
        CHECK(cred->service == cell["AFS_KRB5_SERVICE"]);
        CHECK(cred->token.kvno() == crypto::kvno_kerberos5);
        CHECK(cred->session_enctype == crypto::enctype::aes256_cts_hmac_sha1_96);
        for (auto level : {crypto::Level::clear, crypto::Level::auth, crypto::Level::crypt}) {
            CAPTURE(static_cast<int>(level));
            auto st = round_trip(cell, client::rxkad(cred->token, level),
                                 cell["AFS_ALICE_ONLY_DIR"] + "/" + AfsCell::unique_name("k5"), data);
            CHECK(st.owner == static_cast<uint32_t>(std::stol(cell["AFS_ALICE_ID"])));
        }
        // The ticket is now in alice's cache, as aklog leaves it.
        auto klist = with_krb5(cell, cache, "klist");
        CHECK_MESSAGE(klist.output.find(cell["AFS_KRB5_SERVICE"]) != std::string::npos, klist.output);
    }
    SUBCASE("keytab: a memory cache of its own, the default cache untouched") {
        auto cred = credential(cell, {krb5::Source::Kind::keytab, {}, cell["AFS_KRB5_USERS_KEYTAB"], "alice"});
        REQUIRE_MESSAGE(cred, cred.error().message);
        CHECK(cred->client == "alice@TEST.AFS");
        auto st = round_trip(cell, client::rxkad(cred->token, crypto::Level::crypt),
                             cell["AFS_ALICE_ONLY_DIR"] + "/" + AfsCell::unique_name("k5kt"), data);
        CHECK(st.owner == static_cast<uint32_t>(std::stol(cell["AFS_ALICE_ID"])));
        CHECK_FALSE(fs::exists(tmp / "not-used"));
    }
    SUBCASE("bob's ticket is refused in alice's directory, and the error says as whom") {
        auto cred = credential(cell, {krb5::Source::Kind::keytab, {}, cell["AFS_KRB5_USERS_KEYTAB"], "bob"});
        REQUIRE_MESSAGE(cred, cred.error().message);
        auto c = cell.client();
        auto w = c->write_file(client::rxkad(cred->token, crypto::Level::crypt),
                               cell["AFS_ALICE_ONLY_DIR"] + "/" + AfsCell::unique_name("bob"), data);
        REQUIRE_FALSE(w);
        CHECK(w.error().code == std::errc::permission_denied);
        CHECK_MESSAGE(w.error().message().find("bob@TEST.AFS (Kerberos 5)") != std::string::npos, w.error().message());
    }
}

TEST_CASE("every session-key enctype the KDC issues: the fileserver derives the same rxkad key") {
    const auto& cell = AfsCell::get();
    testutil::TempDir tmp("netcp-krb5-enctypes");
    const std::vector<std::pair<std::string, int32_t>> enctypes = {
        {"aes256-cts-hmac-sha1-96", crypto::enctype::aes256_cts_hmac_sha1_96},
        {"aes128-cts-hmac-sha1-96", crypto::enctype::aes128_cts_hmac_sha1_96},
        {"aes256-cts-hmac-sha384-192", crypto::enctype::aes256_cts_hmac_sha384_192},
        {"aes128-cts-hmac-sha256-128", crypto::enctype::aes128_cts_hmac_sha256_128},
        {"camellia256-cts-cmac", crypto::enctype::camellia256_cts_cmac},
        {"camellia128-cts-cmac", crypto::enctype::camellia128_cts_cmac},
    };
    const auto data = random_bytes(200'000, 2);
    for (const auto& [name, number] : enctypes) {
        CAPTURE(name);
        const std::string config = config_preferring(cell, tmp.path(), name);
        const std::string cache = "FILE:" + (tmp / ("cc-" + name)).string();
        kinit_keytab(cell, "alice", cache, {}, config);
        Krb5Env env(config, cache);
        auto cred = credential(cell, {krb5::Source::Kind::ccache, cache, {}, {}});
        REQUIRE_MESSAGE(cred, cred.error().message);
        CHECK(cred->session_enctype == number);
        round_trip(cell, client::rxkad(cred->token, crypto::Level::crypt),
                   cell["AFS_ALICE_ONLY_DIR"] + "/" + AfsCell::unique_name("enc"), data);
    }
}

TEST_CASE("a missing, expired or unknown credential says what to do") {
    const auto& cell = AfsCell::get();
    testutil::TempDir tmp("netcp-krb5-errors");
    Krb5Env env(cell["AFS_KRB5_CONFIG"], "FILE:" + (tmp / "none").string());

    SUBCASE("no cache: kinit") {
        auto cred = credential(cell, {krb5::Source::Kind::ccache, "FILE:" + (tmp / "none").string(), {}, {}});
        REQUIRE_FALSE(cred);
        CHECK(cred.error().kind == krb5::Failure::Kind::no_credentials);
        CHECK_MESSAGE(cred.error().message.find("kinit USER@TEST.AFS") != std::string::npos, cred.error().message);
    }
    SUBCASE("expired tickets: kinit again, naming the principal and when") {
        const std::string cache = "FILE:" + (tmp / "short").string();
        kinit_keytab(cell, "alice", cache, "-l 2s");
        std::this_thread::sleep_for(std::chrono::seconds(3));
        auto cred = credential(cell, {krb5::Source::Kind::ccache, cache, {}, {}});
        REQUIRE_FALSE(cred);
        CHECK(cred.error().kind == krb5::Failure::Kind::expired);
        CHECK_MESSAGE(cred.error().message.find("expired at") != std::string::npos, cred.error().message);
        CHECK_MESSAGE(cred.error().message.find("run kinit alice@TEST.AFS") != std::string::npos, cred.error().message);
    }
    SUBCASE("a principal the keytab lacks, a keytab that is not there") {
        auto a = credential(cell, {krb5::Source::Kind::keytab, {}, cell["AFS_KRB5_USERS_KEYTAB"], "carol"});
        REQUIRE_FALSE(a);
        CHECK(a.error().kind == krb5::Failure::Kind::bad_source);
        CHECK_MESSAGE(a.error().message.find("no key for carol@TEST.AFS") != std::string::npos, a.error().message);
        auto b = credential(cell, {krb5::Source::Kind::keytab, {}, (tmp / "missing.keytab").string(), "alice"});
        REQUIRE_FALSE(b);
        CHECK(b.error().kind == krb5::Failure::Kind::bad_source);
    }
    SUBCASE("a realm without the cell's service") {
        const std::string cache = "FILE:" + (tmp / "cc").string();
        kinit_keytab(cell, "alice", cache);
        auto cred = krb5::get_credential({krb5::Source::Kind::ccache, cache, {}, {}}, {"other.cell", "TEST.AFS"});
        REQUIRE_FALSE(cred);
        CHECK(cred.error().kind == krb5::Failure::Kind::no_service);
        CHECK_MESSAGE(cred.error().message.find("afs/other.cell@TEST.AFS") != std::string::npos, cred.error().message);
    }
    SUBCASE("the realm: domain_realm for the cell, else the cell upper-cased, unless given") {
        CHECK(krb5::realm_for({"test.afs", ""}).value() == "TEST.AFS");
        CHECK(krb5::realm_for({"unmapped.example", ""}).value() == "UNMAPPED.EXAMPLE");
        CHECK(krb5::realm_for({"test.afs", "OTHER.REALM"}).value() == "OTHER.REALM");
    }
}
