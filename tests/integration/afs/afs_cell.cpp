#include "afs_cell.hpp"

#include <doctest/doctest.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>

namespace afstest {
namespace {

std::string env_path() {
    if (const char* p = std::getenv("NETCP_AFS_ENV"); p && *p) return p;
    return NETCP_AFS_CELL_ENV;
}

[[noreturn]] void skip(const std::string& why) {
    std::fprintf(stderr, "SKIP: %s\n", why.c_str());
    std::exit(77);
}

}  // namespace

std::span<const std::byte> as_bytes(std::string_view s) { return std::as_bytes(std::span(s.data(), s.size())); }

const AfsCell& AfsCell::get() {
    static const AfsCell* cell = [] {
        const std::string path = env_path();
        std::ifstream in(path);
        if (!in) {
            const auto state = std::filesystem::path(path).parent_path();
            std::ifstream reason(state / "skip-reason");
            std::stringstream why;
            why << reason.rdbuf();
            if (!why.str().empty()) skip(why.str());
            skip("the OpenAFS test cell is not running (no " + path +
                 "): run the tests through ctest, whose afs_cell_start fixture starts it, or start one with "
                 "fixtures/openafs/cell.sh and set NETCP_AFS_ENV to its env file");
        }
        auto* c = new AfsCell;
        std::string line;
        while (std::getline(in, line)) {
            const auto eq = line.find('=');
            if (eq != std::string::npos) c->env_[line.substr(0, eq)] = line.substr(eq + 1);
        }
        c->cell = (*c)["AFS_CELL"];
        c->test_volume_id = static_cast<uint32_t>(std::stoul((*c)["AFS_TEST_VOLUME_ID"]));
        c->test_dir = (*c)["AFS_TEST_DIR"];
        c->pub_dir = (*c)["AFS_PUB_DIR"];
        c->pub_file = (*c)["AFS_PUB_FILE"];
        c->pub_text = (*c)["AFS_PUB_FILE_TEXT"];
        c->anon_rw_dir = (*c)["AFS_ANON_RW_DIR"];
        c->bob_only_dir = (*c)["AFS_BOB_ONLY_DIR"];
        c->bob_only_file = (*c)["AFS_BOB_ONLY_FILE"];
        c->admin_only_dir = (*c)["AFS_ADMIN_ONLY_DIR"];
        c->state_dir = std::filesystem::path(path).parent_path().string();
        auto keys = afs::crypto::KeyFile::load((*c)["AFS_KEYFILE"]);
        if (!keys) skip("the cell's KeyFile " + (*c)["AFS_KEYFILE"] + " cannot be read: " + keys.error().message());
        c->keys_ = std::move(*keys);
        return c;
    }();
    return *cell;
}

const std::string& AfsCell::operator[](const std::string& key) const {
    const auto it = env_.find(key);
    if (it == env_.end()) FAIL("the cell's env file has no " << key);
    return it->second;
}

afs::client::ClientOptions AfsCell::options() const {
    afs::client::ClientOptions o;
    auto cfg = afs::client::make_cell(cell, {(*this)["AFS_VLSERVER"]});
    REQUIRE_MESSAGE(cfg, "cell configuration: " << cfg.error().message());
    o.cells.push_back(*cfg);
    return o;
}

std::unique_ptr<afs::client::BlockingClient> AfsCell::client(afs::client::ClientOptions o) const {
    auto c = afs::client::BlockingClient::create(std::move(o));
    REQUIRE_MESSAGE(c, "client: " << c.error().message());
    return std::move(*c);
}

afs::crypto::Token AfsCell::token(const std::string& name) const {
    auto t = afs::crypto::mint_token(keys_, afs::crypto::Principal(name), std::chrono::hours(2));
    REQUIRE_MESSAGE(t, "minting a token for " << name << ": " << t.error().message());
    return *t;
}

afs::client::Identity AfsCell::user(const std::string& name, afs::crypto::Level level) const {
    return afs::client::rxkad(token(name), level);
}

std::string AfsCell::unique_name(std::string_view prefix) {
    static std::atomic<int> n{0};
    const auto t = std::chrono::steady_clock::now().time_since_epoch().count();
    return std::string(prefix) + "-" + std::to_string(::getpid()) + "-" + std::to_string(++n) + "-" +
           std::to_string(t % 1000000);
}

testutil::CommandResult AfsCell::afsio(const std::string& args) const {
    return testutil::run("KRB5_CONFIG=" + testutil::shell_quote((*this)["AFS_KRB5_CONFIG"]) + " timeout 120 afsio " +
                         args);
}

testutil::CommandResult AfsCell::vos(const std::string& args) const {
    return testutil::run("timeout 60 vos " + args + " -localauth");
}

}  // namespace afstest
