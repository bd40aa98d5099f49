// netcp against the real OpenAFS cell: afs:// uploads and downloads through netfs-core
// (buffered, direct, with the cache), -r, keys tried in the order given, anonymous rxnull,
// each rxkad level, interoperability with OpenAFS's afsio, the exit codes of errors, and a
// killed upload and download each continued by the next run.
#include <doctest/doctest.h>

#include <signal.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>

#include "afs_cell.hpp"
#include "libafs/client/blocking.hpp"
#include "test_util.hpp"

using afs::client::anonymous;
using afstest::AfsCell;
namespace fs = std::filesystem;

namespace {

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__) || !defined(NDEBUG)
constexpr uint64_t big_size = 32u << 20;  // sanitizers and debug builds are several times slower
#else
constexpr uint64_t big_size = 1024u << 20;  // the 1 GiB round trips the AFS adapter issue asks for
#endif

// "/afs/test.afs/x" as netcp's afs://test.afs/x.
std::string url(const std::string& afs_path) { return "afs://" + afs_path.substr(std::string("/afs/").size()); }

// The options every run needs: the cell's VL server and, for `users`, keys from its KeyFile.
std::string base_args(const AfsCell& cell, const std::vector<std::string>& users) {
    std::string a = "--vlserver " + testutil::shell_quote(cell["AFS_VLSERVER"]);
    if (!users.empty()) a += " --localauth " + testutil::shell_quote(cell["AFS_KEYFILE"]);
    for (const auto& u : users) a += " --user " + u;
    return a;
}

testutil::CommandResult netcp(const std::string& args) {
    return testutil::run(std::string("timeout 300 ") + NETCP_BINARY + " " + args + " 2>&1");
}

// The value of "name=" in --stats output, or -1.
long long stat_value(const std::string& out, const std::string& name) {
    const auto at = out.find(" " + name + "=");
    if (at == std::string::npos) return -1;
    return std::stoll(out.substr(at + name.size() + 2));
}

std::string text_of(const fs::path& p) {
    const auto bytes = testutil::read_file(p);
    return std::string(reinterpret_cast<const char*>(bytes.data()), bytes.size());
}

double seconds_since(std::chrono::steady_clock::time_point t0) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

// The names in an AFS directory, as the admin sees them.
std::vector<std::string> names_in(const AfsCell& cell, const std::string& dir) {
    auto c = cell.client();
    const auto who = cell.user("admin", afs::crypto::Level::crypt);
    auto node = c->resolve(who, dir);
    REQUIRE_MESSAGE(node, node.error().message());
    auto d = c->read_directory(who, node->ref);
    REQUIRE_MESSAGE(d, d.error().message());
    std::vector<std::string> names;
    for (const auto& e : d->directory->entries()) names.push_back(e.name);
    return names;
}

}  // namespace

TEST_CASE("a large file goes up and comes back identical, buffered and direct, and the cache serves it again") {
    const auto& cell = AfsCell::get();
    testutil::TempDir tmp("netcp-afs");
    const auto src = tmp / "big";
    testutil::write_random_file(src, big_size, 41);
    const std::string sum = testutil::sha256_file(src);
    // rxkad clear: the bytes are checksummed, not encrypted, so a GiB costs seconds, not
    // minutes (crypt is covered by the security-levels case).
    const std::string args = base_args(cell, {"alice"}) + " --security clear";
    const double mb = double(big_size) / 1e6;

    for (const std::string mode : {"", "--direct"}) {
        CAPTURE(mode);
        const std::string remote = cell.anon_rw_dir + "/" + AfsCell::unique_name("big");
        auto t0 = std::chrono::steady_clock::now();
        auto up = netcp(args + " " + mode + " " + src.string() + " " + url(remote));
        const double up_s = seconds_since(t0);
        REQUIRE_MESSAGE(up.status == 0, up.output);

        const auto back = tmp / ("back" + mode);
        t0 = std::chrono::steady_clock::now();
        auto down = netcp(args + " " + url(remote) + " " + back.string());
        const double down_s = seconds_since(t0);
        REQUIRE_MESSAGE(down.status == 0, down.output);
        CHECK(testutil::sha256_file(back) == sum);
        MESSAGE("netcp afs:// " << (mode.empty() ? "buffered" : mode) << ": upload " << mb / up_s << " MB/s, download "
                                << mb / down_s << " MB/s (" << mb << " MB)");
    }

    // Through the cache: the first download fills it, the second reads nothing from the
    // fileserver (the FID and data version still match).
    const std::string remote = cell.anon_rw_dir + "/" + AfsCell::unique_name("cached");
    REQUIRE(netcp(args + " " + src.string() + " " + url(remote)).status == 0);
    const std::string cache = (tmp / "cache").string();
    const auto back = tmp / "back-cached";
    auto first = netcp(args + " --stats --cache " + cache + " " + url(remote) + " " + back.string());
    REQUIRE_MESSAGE(first.status == 0, first.output);
    CHECK(testutil::sha256_file(back) == sum);
    CHECK(stat_value(first.output, "server_bytes") == static_cast<long long>(big_size));
    fs::remove(back);
    auto second = netcp(args + " --stats --cache " + cache + " " + url(remote) + " " + back.string());
    REQUIRE_MESSAGE(second.status == 0, second.output);
    CHECK_MESSAGE(stat_value(second.output, "server_bytes") == 0, second.output);
    CHECK(stat_value(second.output, "cache_bytes") == static_cast<long long>(big_size));
    CHECK(stat_value(second.output, "fetches") == 0);
    CHECK(testutil::sha256_file(back) == sum);
}

TEST_CASE("-r copies a small tree up and back") {
    const auto& cell = AfsCell::get();
    testutil::TempDir tmp("netcp-afs-tree");
    const auto tree = tmp / "tree";
    fs::create_directories(tree / "a" / "b");
    fs::create_directories(tree / "empty");
    testutil::write_random_file(tree / "top.bin", 300000, 1);
    testutil::write_random_file(tree / "a" / "one.bin", 5u << 20, 2);
    testutil::write_file(tree / "a" / "b" / "note.txt", std::string("hello from netcp\n"));
    testutil::write_file(tree / "a" / "b" / "zero", std::string());
    const std::string args = base_args(cell, {"alice"});
    const std::string remote = cell.anon_rw_dir + "/" + AfsCell::unique_name("tree");

    auto up = netcp(args + " -r " + tree.string() + " " + url(remote));  // missing: becomes the copy
    REQUIRE_MESSAGE(up.status == 0, up.output);
    const auto back = tmp / "back";
    auto down = netcp(args + " -r " + url(remote) + " " + back.string());
    REQUIRE_MESSAGE(down.status == 0, down.output);
    for (const char* f : {"top.bin", "a/one.bin", "a/b/note.txt", "a/b/zero"}) {
        CAPTURE(f);
        REQUIRE(fs::exists(back / f));
        CHECK(testutil::sha256_file(back / f) == testutil::sha256_file(tree / f));
    }
    CHECK(fs::is_directory(back / "empty"));
}

TEST_CASE("keys are tried in the order given: alice is refused in bob's directory, bob writes") {
    const auto& cell = AfsCell::get();
    testutil::TempDir tmp("netcp-afs-keys");
    const auto src = tmp / "f";
    testutil::write_random_file(src, 3u << 20, 5);
    const std::string remote = cell.bob_only_dir + "/" + AfsCell::unique_name("switch");
    auto up = netcp(base_args(cell, {"alice", "bob"}) + " --stats " + src.string() + " " + url(remote));
    REQUIRE_MESSAGE(up.status == 0, up.output);
    MESSAGE(up.output);
    // alice's attempts were refused (creating the file at least), bob stored every byte.
    CHECK(stat_value(up.output, "lookup_refused") + stat_value(up.output, "refused") >= 1);
    CHECK(up.output.find("afs key 2 (rxkad crypt as bob") != std::string::npos);
    CHECK(up.output.find("bytes=" + std::to_string(3u << 20) + " refused=0") != std::string::npos);

    const auto back = tmp / "back";
    auto down = netcp(base_args(cell, {"bob"}) + " " + url(remote) + " " + back.string());
    REQUIRE_MESSAGE(down.status == 0, down.output);
    CHECK(testutil::sha256_file(back) == testutil::sha256_file(src));
}

TEST_CASE("every key refused: a non-zero exit naming the file and each key, and nothing left behind") {
    const auto& cell = AfsCell::get();
    testutil::TempDir tmp("netcp-afs-refused");
    const auto src = tmp / "f";
    testutil::write_random_file(src, 1u << 20, 6);
    const std::string name = AfsCell::unique_name("refused");
    auto up = netcp(base_args(cell, {"alice", "mallory"}) + " " + src.string() + " " + url(cell.bob_only_dir + "/" + name));
    CHECK(up.status != 0);
    MESSAGE(up.output);
    CHECK(up.output.find(name) != std::string::npos);
    CHECK(up.output.find("alice") != std::string::npos);
    CHECK(up.output.find("mallory") != std::string::npos);  // unknown to the cell: anonymous rights
    CHECK(up.output.find("ermission denied") != std::string::npos);
    for (const auto& n : names_in(cell, cell.bob_only_dir)) CHECK_MESSAGE(n.find(name) == std::string::npos, n);
}

TEST_CASE("anonymous (rxnull) into the directory anyone may write") {
    const auto& cell = AfsCell::get();
    testutil::TempDir tmp("netcp-afs-anon");
    const auto src = tmp / "f";
    testutil::write_random_file(src, 2u << 20, 7);
    const std::string remote = cell.anon_rw_dir + "/" + AfsCell::unique_name("anon");
    auto up = netcp(base_args(cell, {}) + " --stats " + src.string() + " " + url(remote));
    REQUIRE_MESSAGE(up.status == 0, up.output);
    CHECK(up.output.find("rxnull") != std::string::npos);
    const auto back = tmp / "back";
    auto down = netcp(base_args(cell, {}) + " " + url(remote) + " " + back.string());
    REQUIRE_MESSAGE(down.status == 0, down.output);
    CHECK(testutil::sha256_file(back) == testutil::sha256_file(src));

    // Anonymous may not write in pub: refused, exit 1, the file named.
    auto refused = netcp(base_args(cell, {}) + " " + src.string() + " " + url(cell.pub_dir + "/anon-nope"));
    CHECK(refused.status == 1);
    CHECK(refused.output.find("anon-nope") != std::string::npos);
}

TEST_CASE("each rxkad level: clear, auth, crypt") {
    const auto& cell = AfsCell::get();
    testutil::TempDir tmp("netcp-afs-levels");
    const auto src = tmp / "f";
    testutil::write_random_file(src, 4u << 20, 8);
    for (const std::string level : {"clear", "auth", "crypt"}) {
        CAPTURE(level);
        const std::string args = base_args(cell, {"bob"}) + " --stats --security " + level;
        const std::string remote = cell.bob_only_dir + "/" + AfsCell::unique_name(level);
        auto up = netcp(args + " " + src.string() + " " + url(remote));
        REQUIRE_MESSAGE(up.status == 0, up.output);
        CHECK(up.output.find("rxkad " + level + " as bob") != std::string::npos);
        const auto back = tmp / level;
        auto down = netcp(args + " " + url(remote) + " " + back.string());
        REQUIRE_MESSAGE(down.status == 0, down.output);
        CHECK(testutil::sha256_file(back) == testutil::sha256_file(src));
    }
}

TEST_CASE("interoperability: afsio reads what netcp wrote, netcp reads what afsio wrote") {
    const auto& cell = AfsCell::get();
    testutil::TempDir tmp("netcp-afs-afsio");
    const auto src = tmp / "f";
    testutil::write_random_file(src, 20u << 20, 9);  // afsio's writer is wrong above 64 MiB
    const std::string sum = testutil::sha256_file(src);
    const auto kcfg = testutil::shell_quote(cell["AFS_KRB5_CONFIG"]);

    const std::string by_netcp = cell.anon_rw_dir + "/" + AfsCell::unique_name("netcp-to-afsio");
    auto up = netcp(base_args(cell, {}) + " " + src.string() + " " + url(by_netcp));
    REQUIRE_MESSAGE(up.status == 0, up.output);
    const auto read_back = tmp / "afsio-read";
    auto r = testutil::run("KRB5_CONFIG=" + kcfg + " timeout 120 afsio read -file " + testutil::shell_quote(by_netcp) +
                           " >" + testutil::shell_quote(read_back.string()) + " </dev/null");
    REQUIRE_MESSAGE(r.status == 0, "afsio read: " << r.output);
    CHECK(testutil::sha256_file(read_back) == sum);

    // afsio 1.8 crashes creating a file: libafs creates it, afsio fills it.
    const std::string by_afsio = cell.anon_rw_dir + "/" + AfsCell::unique_name("afsio-to-netcp");
    auto c = cell.client();
    auto created = c->create_file(anonymous(), by_afsio);
    REQUIRE_MESSAGE(created, created.error().message());
    auto w = testutil::run("KRB5_CONFIG=" + kcfg + " timeout 120 afsio write -force -file " +
                           testutil::shell_quote(by_afsio) + " <" + testutil::shell_quote(src.string()) + " >/dev/null");
    REQUIRE_MESSAGE(w.status == 0, "afsio write: " << w.output);
    const auto back = tmp / "netcp-read";
    auto down = netcp(base_args(cell, {}) + " " + url(by_afsio) + " " + back.string());
    REQUIRE_MESSAGE(down.status == 0, down.output);
    CHECK(testutil::sha256_file(back) == sum);
}

TEST_CASE("errors: a missing file is exit 3, an unknown cell or unreachable VL server exit 4") {
    const auto& cell = AfsCell::get();
    testutil::TempDir tmp("netcp-afs-errors");
    auto missing = netcp(base_args(cell, {}) + " " + url(cell.anon_rw_dir + "/no-such-file") + " " +
                         (tmp / "x").string());
    CHECK(missing.status == 3);
    CHECK(missing.output.find("no-such-file") != std::string::npos);
    CHECK_FALSE(fs::exists(tmp / "x"));

    auto no_dir = netcp(base_args(cell, {}) + " " + (tmp / "x").string() + " " + url(cell.anon_rw_dir + "/nodir/x"));
    CHECK(no_dir.status == 3);

    auto bad_vl = netcp("--vlserver 127.0.0.1:1 --timeout 2 " + url(cell.pub_file) + " " + (tmp / "y").string());
    CHECK(bad_vl.status == 4);
    CHECK(bad_vl.output.find(cell.cell) != std::string::npos);
    MESSAGE(bad_vl.output);

    testutil::write_file(tmp / "CellServDB", ">other.cell #another\n127.0.0.1 #localhost\n");
    auto bad_cell = netcp("--cellservdb " + (tmp / "CellServDB").string() + " " + url(cell.pub_file) + " " +
                          (tmp / "y").string());
    CHECK(bad_cell.status == 4);
    CHECK(bad_cell.output.find("not in the CellServDB") != std::string::npos);
    CHECK_FALSE(fs::exists(tmp / "y"));

    // A CellServDB that does name the cell works as --vlserver does.
    const std::string addr = cell["AFS_SERVER_ADDR"];
    testutil::write_file(tmp / "CellServDB2", ">" + cell.cell + " #netcp test cell\n" + addr + " #afsdb\n");
    auto good = netcp("--cellservdb " + (tmp / "CellServDB2").string() + " " + url(cell.pub_file) + " " +
                      (tmp / "y").string());
    CHECK_MESSAGE(good.status == 0, good.output);
}

TEST_CASE("'-': standard input up to the cell and a file down to standard output, within --bwlimit") {
    const auto& cell = AfsCell::get();
    testutil::TempDir tmp("netcp-afs-stdio");
    const auto src = tmp / "f";
    constexpr uint64_t size = 20u << 20;  // two seconds at 10 MiB/s
    testutil::write_random_file(src, size, 11);
    const std::string remote = cell.bob_only_dir + "/" + AfsCell::unique_name("stdin");
    // rxkad clear: the point is the limit, not fcrypt (slow under the sanitizers).
    const std::string args = base_args(cell, {"bob"}) + " --security clear -q --bwlimit 10M ";
    auto t0 = std::chrono::steady_clock::now();
    auto up = testutil::run("cat " + testutil::shell_quote(src.string()) + " | timeout 300 " + NETCP_BINARY + " " +
                            args + "- " + url(remote) + " 2>&1");
    const double up_s = seconds_since(t0);
    REQUIRE_MESSAGE(up.status == 0, up.output);
    const auto back = tmp / "back";
    t0 = std::chrono::steady_clock::now();
    auto down = testutil::run("( timeout 300 " + std::string(NETCP_BINARY) + " " + args + url(remote) + " - >" +
                              testutil::shell_quote(back.string()) + " )");
    const double down_s = seconds_since(t0);
    REQUIRE_MESSAGE(down.status == 0, down.output);
    CHECK(testutil::sha256_file(back) == testutil::sha256_file(src));
    // Never faster than the limit allows (the engine throttles AFS stores and fetches too).
    CHECK_MESSAGE(up_s >= 2.0 * 0.9, "upload took " << up_s << " s");
    CHECK_MESSAGE(down_s >= 2.0 * 0.9, "download took " << down_s << " s");
#if !defined(__SANITIZE_ADDRESS__) && !defined(__SANITIZE_THREAD__) && defined(NDEBUG)
    // And not grossly slower, where nothing else slows netcp down (sanitizer builds are);
    // loose, as CTest runs another test beside this one on the same cores as the cell.
    CHECK_MESSAGE(up_s <= 2.0 * 2.5, "upload took " << up_s << " s");
    CHECK_MESSAGE(down_s <= 2.0 * 2.5, "download took " << down_s << " s");
#endif
    // A missing file: exit 3, and nothing on standard output.
    auto missing = testutil::run("( timeout 300 " + std::string(NETCP_BINARY) + " " + args + url(remote + "-nope") +
                                 " - >" + testutil::shell_quote((tmp / "none").string()) + " 2>/dev/null )");
    CHECK(missing.status == 3);
    CHECK(std::filesystem::file_size(tmp / "none") == 0);
}

TEST_CASE("an upload and a download killed mid-file continue when run again, and end identical") {
    const auto& cell = AfsCell::get();
    testutil::TempDir tmp("netcp-afs-resume");
    const auto src = tmp / "f";
    constexpr uint64_t size = 24u << 20;  // three seconds at 8 MiB/s: a kill lands mid-file
    testutil::write_random_file(src, size, 12);
    const std::string remote = cell.bob_only_dir + "/" + AfsCell::unique_name("resume");
    const std::string args = base_args(cell, {"bob"}) + " --security clear";
    const std::vector<std::string> base = {NETCP_BINARY, "--vlserver", cell["AFS_VLSERVER"], "--localauth",
                                           cell["AFS_KEYFILE"], "--user", "bob", "--security", "clear",
                                           "--no-progress", "--bwlimit", "8M"};
    // The resumed_from of the --json file_done line (0 if none).
    auto resumed_from = [](const std::string& out) -> uint64_t {
        const auto at = out.find("\"resumed_from\":");
        return at == std::string::npos ? 0 : std::stoull(out.substr(at + 15));
    };

    // Up: killed once the fileserver acknowledged some 8 MiB (the journal says how much).
    {
        std::vector<std::string> argv = base;
        argv.insert(argv.end(), {src.string(), url(remote)});
        const auto journals = fs::path(std::getenv("NETCP_STATE_DIR")) / "uploads";
        auto prefix = [&]() -> uint64_t {
            std::error_code ec;
            if (!fs::exists(journals, ec)) return 0;
            for (auto& e : fs::directory_iterator(journals)) {
                const std::string text = text_of(e.path());
                if (text.size() > 21) return std::stoull(text.substr(text.size() - 21));
            }
            return 0;
        };
        const int pid = testutil::spawn(argv, tmp / "log");
        const bool started = testutil::wait_until([&] { return prefix() > (8u << 20); }, 120);
        ::kill(pid, SIGKILL);
        CHECK(testutil::wait_exit_within(pid, 60) == 128 + SIGKILL);
        REQUIRE_MESSAGE(started, text_of(tmp / "log"));
        const uint64_t recorded = prefix();
        auto r = netcp(args + " --json " + testutil::shell_quote(src.string()) + " " + url(remote));
        INFO(r.output);
        REQUIRE(r.status == 0);
        const uint64_t from = resumed_from(r.output);
        MESSAGE("upload continued at " << from << "; the journal had " << recorded);
        CHECK(from > 0);
        CHECK(from <= recorded);
        CHECK(from + (256u << 10) > recorded);  // the journal's prefix, on a folio boundary
        CHECK((!fs::exists(journals) || fs::is_empty(journals)));
        // No partial file left in the directory, and the file is the source's bytes.
        for (const auto& n : names_in(cell, cell.bob_only_dir)) CHECK(n.find(".netcp-") == std::string::npos);
        auto back = netcp(args + " -q " + url(remote) + " " + testutil::shell_quote((tmp / "back").string()));
        REQUIRE_MESSAGE(back.status == 0, back.output);
        CHECK(testutil::sha256_file(tmp / "back") == testutil::sha256_file(src));
    }

    // Down: killed once 8 MiB were written locally.
    fs::create_directories(tmp / "dl");
    const auto dest = tmp / "dl/f";
    auto partial_size = [&]() -> uint64_t {
        for (auto& e : fs::directory_iterator(tmp / "dl"))
            if (e.path().filename().string().find(".partial") != std::string::npos) {
                std::error_code ec;
                const auto n = fs::file_size(e.path(), ec);
                return ec ? 0 : n;
            }
        return 0;
    };
    std::vector<std::string> argv = base;
    argv.insert(argv.end(), {url(remote), dest.string()});
    const int pid = testutil::spawn(argv, tmp / "log");
    const bool started = testutil::wait_until([&] { return partial_size() > (8u << 20); }, 120);
    ::kill(pid, SIGKILL);
    CHECK(testutil::wait_exit_within(pid, 60) == 128 + SIGKILL);
    REQUIRE(started);
    const uint64_t held = partial_size();

    auto r = netcp(args + " --json " + url(remote) + " " + testutil::shell_quote(dest.string()));
    INFO(r.output);
    REQUIRE(r.status == 0);
    const uint64_t from = resumed_from(r.output);
    MESSAGE("download continued at " << from << " of the " << held << " bytes written when it was killed");
    CHECK(from > 0);
    CHECK(from <= held);
    CHECK(from + (8u << 20) >= held);  // within the readahead window of what was written
    CHECK(testutil::sha256_file(dest) == testutil::sha256_file(src));
    CHECK(std::distance(fs::directory_iterator(tmp / "dl"), fs::directory_iterator()) == 1);  // no partial, no journal
}
