// netcp's persistent cache (--cache) against a real diod: the second read comes from the
// cache, a change on the server invalidates it, a partly cached file reads the rest from
// the server, a torn entry is never served, culling keeps the limit, and a cache that
// cannot be written never fails the copy.
#include <doctest/doctest.h>

#include <signal.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <optional>
#include <regex>
#include <thread>

#include "ninep_server.hpp"
#include "lib9p/blocking.hpp"
#include "lib9p/netfs_backend.hpp"
#include "netfs/cache/cache.hpp"
#include "netfs/file.hpp"
#include "test_util.hpp"

using namespace testutil;
namespace fs = std::filesystem;

namespace {

std::string q(const fs::path& p) { return shell_quote(p.string()); }

struct Netcp {
    const NinePServer& d;
    fs::path cache;
    std::string url(const std::string& path) const {
        return "9p://127.0.0.1:" + std::to_string(d.port()) + "/" + path;
    }
    // Runs netcp with the cache and --stats.
    CommandResult operator()(const std::string& args) const {
        return run(shell_quote(NETCP_BINARY) + " --aname " + shell_quote(d.aname()) + " --cache " + q(cache) +
                   " --stats " + args);
    }
};

// A counter from --stats' key=value lines ("server_bytes=123"); nullopt if absent.
std::optional<uint64_t> stat_value(const std::string& output, const std::string& key) {
    std::smatch m;
    if (!std::regex_search(output, m, std::regex("\\b" + key + "=([0-9]+)"))) return std::nullopt;
    return std::stoull(m[1].str());
}

uint64_t stat_of(const CommandResult& r, const std::string& key) {
    auto v = stat_value(r.output, key);
    REQUIRE_MESSAGE(v, "no " << key << "= in:\n" << r.output);
    return *v;
}

// Bytes the cache directory's files take on disk.
uint64_t disk_usage(const fs::path& dir) {
    uint64_t total = 0;
    std::error_code ec;
    for (auto it = fs::recursive_directory_iterator(dir, ec); it != fs::recursive_directory_iterator(); it.increment(ec)) {
        struct stat st {};
        if (!ec && ::lstat(it->path().c_str(), &st) == 0 && S_ISREG(st.st_mode)) total += uint64_t(st.st_blocks) * 512;
    }
    return total;
}

}  // namespace

TEST_CASE("the second download is served from the cache, byte-identical, with no server reads") {
    NinePServer d;
    TempDir local;
    Netcp netcp{d, local / "cache"};
    const uint64_t size = (48ull << 20) + 12345;  // not a multiple of any folio
    write_random_file(d.export_dir() / "big.bin", size, 31);
    const auto sum = sha256_file(d.export_dir() / "big.bin");

    auto first = netcp(netcp.url("big.bin") + " " + q(local / "one.bin"));
    REQUIRE_MESSAGE(first.status == 0, first.output);
    CHECK(sha256_file(local / "one.bin") == sum);
    CHECK(stat_of(first, "server_bytes") == size);
    CHECK(stat_of(first, "cache_bytes") == 0);

    auto second = netcp(netcp.url("big.bin") + " " + q(local / "two.bin"));
    REQUIRE_MESSAGE(second.status == 0, second.output);
    CHECK(sha256_file(local / "two.bin") == sum);
    CHECK(stat_of(second, "server_bytes") == 0);  // no read reached the server
    CHECK(stat_of(second, "server_reads") == 0);
    CHECK(stat_of(second, "cache_bytes") == size);
    CHECK(stat_of(second, "hits") == 1);

    auto stats = run(shell_quote(NETCP_BINARY) + " cache stats --bytes " + q(netcp.cache));
    REQUIRE_MESSAGE(stats.status == 0, stats.output);
    CHECK(stats.output.find("entries:      1") != std::string::npos);
    CHECK(stats.output.find(std::to_string(size)) != std::string::npos);
    auto list = run(shell_quote(NETCP_BINARY) + " cache list " + q(netcp.cache));
    REQUIRE_MESSAGE(list.status == 0, list.output);
    CHECK(list.output.find(d.aname()) != std::string::npos);
    CHECK(list.output.find("whole") != std::string::npos);

    // Without --cache nothing is cached, and nothing reads the cache.
    auto plain = run(shell_quote(NETCP_BINARY) + " --aname " + shell_quote(d.aname()) + " --stats " +
                     netcp.url("big.bin") + " " + q(local / "three.bin"));
    REQUIRE_MESSAGE(plain.status == 0, plain.output);
    CHECK(!stat_value(plain.output, "cache_bytes"));
    CHECK(sha256_file(local / "three.bin") == sum);

    auto clear = run(shell_quote(NETCP_BINARY) + " cache clear " + q(netcp.cache));
    REQUIRE_MESSAGE(clear.status == 0, clear.output);
    CHECK(clear.output.find("removed 1 entries") != std::string::npos);
    auto after = netcp(netcp.url("big.bin") + " " + q(local / "four.bin"));
    REQUIRE_MESSAGE(after.status == 0, after.output);
    CHECK(stat_of(after, "server_bytes") == size);
}

TEST_CASE("a file changed on the server is read again from the server, fresh") {
    NinePServer d;
    TempDir local;
    Netcp netcp{d, local / "cache"};
    write_random_file(d.export_dir() / "f.bin", 8 << 20, 1);
    auto r = netcp(netcp.url("f.bin") + " " + q(local / "a.bin"));
    REQUIRE_MESSAGE(r.status == 0, r.output);

    SUBCASE("same size, new content") {
        write_random_file(d.export_dir() / "f.bin", 8 << 20, 2);  // rewritten in place: new mtime
    }
    SUBCASE("a different size") {
        write_random_file(d.export_dir() / "f.bin", (8 << 20) + 1, 2);
    }
    const auto sum = sha256_file(d.export_dir() / "f.bin");
    const uint64_t size = fs::file_size(d.export_dir() / "f.bin");
    r = netcp(netcp.url("f.bin") + " " + q(local / "b.bin"));
    REQUIRE_MESSAGE(r.status == 0, r.output);
    CHECK(sha256_file(local / "b.bin") == sum);
    CHECK(stat_of(r, "server_bytes") == size);
    CHECK(stat_of(r, "cache_bytes") == 0);
    CHECK(stat_of(r, "discarded_stale") == 1);
    // And the fresh data is what the cache serves next.
    r = netcp(netcp.url("f.bin") + " " + q(local / "c.bin"));
    REQUIRE_MESSAGE(r.status == 0, r.output);
    CHECK(sha256_file(local / "c.bin") == sum);
    CHECK(stat_of(r, "server_bytes") == 0);
}

TEST_CASE("a partly cached file serves its first half from the cache and reads the rest") {
    NinePServer d;
    TempDir local;
    Netcp netcp{d, local / "cache"};
    const uint64_t size = 16 << 20, half = 8 << 20;
    write_random_file(d.export_dir() / "p.bin", size, 9);
    const auto sum = sha256_file(d.export_dir() / "p.bin");

    {
        // The library reads only the first half, as an application would.
        auto client = p9::BlockingClient::connect(d.tcp());
        REQUIRE(client);
        auto root = d.try_attach(**client, d.aname(), ::getuid());
        REQUIRE(root);
        auto file = (*client)->walk(*root, "p.bin");
        REQUIRE(file);
        REQUIRE((*client)->open(*file, p9::open_flags::rdonly));
        auto attr = (*client)->getattr(*file);
        REQUIRE(attr);
        auto cache = netfs::cache::Cache::open(netcp.cache.string(), {});
        REQUIRE(cache);
        char hex[17];
        std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(attr->qid.path));
        netfs::cache::Coherency coh{attr->size, attr->mtime_sec * 1'000'000'000ull + attr->mtime_nsec,
                                    (uint64_t(attr->qid.version) << 32) ^ attr->data_version};
        auto obj = (*cache)->open_object({d.tcp().to_string(), d.aname(), hex}, coh);
        REQUIRE(obj);
        p9::NetfsReadBackend reader({(*client)->client(), file->number()});
        netfs::Context ctx;
        netfs::FileOptions fo;
        fo.reader = &reader;
        fo.cache = obj->get();
        fo.remote_size = size;
        fo.readahead_max = 0;  // exactly the half asked for
        netfs::File f(ctx, fo);
        std::vector<std::byte> buf(half);
        auto n = f.read(0, buf);
        REQUIRE(n);
        CHECK(*n == half);
        REQUIRE(!f.flush());
        REQUIRE(!(*obj)->commit());
        CHECK((*obj)->bytes_written() >= half);
    }

    auto r = netcp(netcp.url("p.bin") + " " + q(local / "whole.bin"));
    REQUIRE_MESSAGE(r.status == 0, r.output);
    CHECK(sha256_file(local / "whole.bin") == sum);
    CHECK(stat_of(r, "cache_bytes") == half);
    CHECK(stat_of(r, "server_bytes") == size - half);
    r = netcp(netcp.url("p.bin") + " " + q(local / "again.bin"));
    REQUIRE_MESSAGE(r.status == 0, r.output);
    CHECK(stat_of(r, "server_bytes") == 0);
}

TEST_CASE("an upload leaves its data in the cache, and the download after it reads none from the server") {
    NinePServer d;
    TempDir local;
    Netcp netcp{d, local / "cache"};
    write_random_file(local / "up.bin", (24 << 20) + 7, 4);
    const auto sum = sha256_file(local / "up.bin");
    for (std::string mode : {"", "--write-through"}) {
        CAPTURE(mode);
        auto r = netcp(mode + " " + q(local / "up.bin") + " " + netcp.url("up" + mode + ".bin"));
        REQUIRE_MESSAGE(r.status == 0, r.output);
        CHECK(sha256_file(d.export_dir() / ("up" + mode + ".bin")) == sum);
        r = netcp(netcp.url("up" + mode + ".bin") + " " + q(local / "down.bin"));
        REQUIRE_MESSAGE(r.status == 0, r.output);
        CHECK(sha256_file(local / "down.bin") == sum);
        CHECK(stat_of(r, "server_bytes") == 0);
    }
}

TEST_CASE("netcp killed while it writes the cache: the torn entry is not served") {
    NinePServer d;
    TempDir local;
    Netcp netcp{d, local / "cache"};
    const uint64_t size = 768ull << 20;
    write_random_file(d.export_dir() / "t.bin", size, 12);
    int pid = spawn({NETCP_BINARY, "--aname", d.aname(), "--cache", netcp.cache.string(), netcp.url("t.bin"),
                     (local / "t.bin").string()},
                    local / "log");
    const bool caching = wait_until([&] { return disk_usage(netcp.cache) > (32u << 20); }, 60);
    // Freeze the server so the download cannot finish (and commit) before the kill.
    d.pause();
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    ::kill(pid, SIGKILL);
    wait_exit(pid);
    d.resume();
    REQUIRE(caching);
    REQUIRE(!fs::exists(local / "t.bin"));  // it really was cut short

    auto r = netcp(netcp.url("t.bin") + " " + q(local / "t2.bin"));
    REQUIRE_MESSAGE(r.status == 0, r.output);
    CHECK(sha256_file(local / "t2.bin") == sha256_file(d.export_dir() / "t.bin"));
    CHECK(stat_of(r, "cache_bytes") == 0);  // nothing of the torn entry was served
    CHECK(stat_of(r, "server_bytes") == size);
    CHECK(stat_of(r, "discarded_torn") == 1);
}

TEST_CASE("culling keeps the cache under --cache-size, least recently used first") {
    NinePServer d;
    TempDir local;
    Netcp netcp{d, local / "cache"};
    const uint64_t limit = 20 << 20, size = 8 << 20;
    for (int i = 0; i < 4; ++i) write_random_file(d.export_dir() / ("f" + std::to_string(i)), size, 50 + i);
    for (int i = 0; i < 4; ++i) {
        auto r = netcp("--cache-size " + std::to_string(limit) + " " + netcp.url("f" + std::to_string(i)) + " " +
                       q(local / ("f" + std::to_string(i))));
        REQUIRE_MESSAGE(r.status == 0, r.output);
        CHECK(stat_of(r, "cached_bytes") <= limit);
    }
    CHECK(disk_usage(netcp.cache) <= limit + (1 << 20));  // data plus small metadata
    // The newest files are still cached; the oldest went first.
    auto r = netcp("--cache-size " + std::to_string(limit) + " " + netcp.url("f3") + " " + q(local / "g3"));
    REQUIRE_MESSAGE(r.status == 0, r.output);
    CHECK(stat_of(r, "server_bytes") == 0);
    r = netcp("--cache-size " + std::to_string(limit) + " " + netcp.url("f0") + " " + q(local / "g0"));
    REQUIRE_MESSAGE(r.status == 0, r.output);
    CHECK(stat_of(r, "server_bytes") == size);
}

TEST_CASE("a cache that cannot be written never fails the copy") {
    NinePServer d;
    TempDir local;
    write_random_file(local / "up.bin", 32 << 20, 77);
    const auto sum = sha256_file(local / "up.bin");

    SUBCASE("a full disk: a 4 MiB tmpfs") {
        fs::create_directory(local / "small");
        if (::mount("netcp-test", (local / "small").c_str(), "tmpfs", 0, "size=4m") != 0) {
            MESSAGE("cannot mount a tmpfs here (needs root): the file-size-limit case covers ENOSPC's path");
            return;
        }
        Netcp netcp{d, local / "small/cache"};
        auto r = netcp(q(local / "up.bin") + " " + netcp.url("up.bin"));
        auto down = netcp(netcp.url("up.bin") + " " + q(local / "down.bin"));
        ::umount2((local / "small").c_str(), MNT_DETACH);
        REQUIRE_MESSAGE(r.status == 0, r.output);
        CHECK(sha256_file(d.export_dir() / "up.bin") == sum);
        CHECK(r.output.find("warning") != std::string::npos);
        CHECK(r.output.find("No space left on device") != std::string::npos);
        REQUIRE_MESSAGE(down.status == 0, down.output);
        CHECK(sha256_file(local / "down.bin") == sum);
    }
    SUBCASE("writes refused: a file-size limit (EFBIG)") {
        Netcp netcp{d, local / "cache"};
        // The shell ignores SIGXFSZ so the write fails with EFBIG instead of killing netcp;
        // an upload writes no local file but the cache's.
        auto r = run("trap '' XFSZ; ulimit -f 4096; " + shell_quote(NETCP_BINARY) + " --aname " +
                     shell_quote(d.aname()) + " --cache " + q(netcp.cache) + " " + q(local / "up.bin") + " " +
                     netcp.url("up.bin"));
        REQUIRE_MESSAGE(r.status == 0, r.output);
        CHECK(sha256_file(d.export_dir() / "up.bin") == sum);
        CHECK(r.output.find("warning") != std::string::npos);
        // What could not be cached is read from the server next time, correctly.
        auto down = netcp(netcp.url("up.bin") + " " + q(local / "down.bin"));
        REQUIRE_MESSAGE(down.status == 0, down.output);
        CHECK(sha256_file(local / "down.bin") == sum);
        CHECK(stat_of(down, "server_bytes") + stat_of(down, "cache_bytes") == (32u << 20));
    }
}

TEST_CASE("the cache directory is made private, and one others may write to is refused") {
    NinePServer d;
    TempDir local;
    Netcp netcp{d, local / "cache"};
    write_file(d.export_dir() / "f", std::string("cached data"));
    auto first = netcp(netcp.url("f") + " " + q(local / "one"));
    REQUIRE_MESSAGE(first.status == 0, first.output);
    CHECK((fs::status(netcp.cache).permissions() & fs::perms::all) == fs::perms::owner_all);

    // Group- or world-writable: anyone could plant data that netcp would serve as the
    // server's. The copy is refused before anything is transferred, with the fix.
    for (auto mode : {fs::perms(0770), fs::perms(0757)}) {
        fs::permissions(netcp.cache, mode);
        auto r = netcp(netcp.url("f") + " " + q(local / "two"));
        CHECK_MESSAGE(r.status == 2, r.output);
        CHECK(r.output.find("refusing the cache") != std::string::npos);
        CHECK(r.output.find("chmod 700") != std::string::npos);
        CHECK(!fs::exists(local / "two"));
    }
    fs::permissions(netcp.cache, fs::perms(0700));
    auto again = netcp(netcp.url("f") + " " + q(local / "three"));
    CHECK_MESSAGE(again.status == 0, again.output);
    CHECK(stat_of(again, "cache_bytes") == 11);
}
