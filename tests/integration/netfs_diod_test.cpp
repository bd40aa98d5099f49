// netfs-core with the 9P adapter against a real diod: random writes through the page
// cache land exactly, two streams (server and a local cache file) complete side by side,
// a dropped connection is reopened and the writes retried, and netcp's three upload modes
// carry 1 GiB with identical SHA-256.
#include <doctest/doctest.h>

#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <random>
#include <thread>

#include "ninep_server.hpp"
#include "lib9p/blocking.hpp"
#include "lib9p/netfs_backend.hpp"
#include "netfs/file.hpp"
#include "netfs/local_cache.hpp"
#include "tcp_relay.hpp"
#include "test_util.hpp"

using namespace testutil;
namespace fs = std::filesystem;

namespace {

struct Opened {
    std::unique_ptr<p9::BlockingClient> client;
    p9::Fid root, file;
};

// Connects, attaches and creates `name` open for writing.
Opened create_remote(const p9::Endpoint& ep, const NinePServer& d, const std::string& name) {
    Opened o;
    auto c = p9::BlockingClient::connect(ep);
    REQUIRE_MESSAGE(c, c.error().message());
    o.client = std::move(*c);
    auto root = d.try_attach(*o.client, d.aname(), getuid());
    REQUIRE(root);
    o.root = std::move(*root);
    auto f = o.client->walk(o.root, "");
    REQUIRE(f);
    REQUIRE(o.client->create(*f, name, p9::open_flags::rdwr | p9::open_flags::create, 0644, getgid()));
    o.file = std::move(*f);
    return o;
}

std::string q(const fs::path& p) { return shell_quote(p.string()); }

}  // namespace

TEST_CASE("random writes through the page cache reach diod exactly") {
    NinePServer d;
    auto o = create_remote(d.tcp(), d, "random.bin");
    p9::NetfsWriteBackend backend({o.client->client(), o.file.number()}, {16});
    netfs::Context ctx;
    netfs::FileOptions fo;
    fo.streams = {{&backend, 4u << 20}};
    fo.folio_size = 64 << 10;
    fo.dirty_background = 1 << 20;
    fo.dirty_limit = 4 << 20;
    netfs::File file(ctx, fo);
    std::vector<std::byte> model(16 << 20);
    std::mt19937_64 rng(7);
    uint64_t size = 0;
    for (int i = 0; i < 300; ++i) {
        const uint64_t pos = rng() % (15 << 20);
        auto data = random_bytes(1 + rng() % 300'000, rng());
        auto r = i % 5 == 4 ? file.write_direct(pos, data) : file.write(pos, data);
        REQUIRE(r);
        std::copy(data.begin(), data.end(), model.begin() + static_cast<ptrdiff_t>(pos));
        size = std::max<uint64_t>(size, pos + data.size());
        if (i % 60 == 59) REQUIRE(!file.flush());
    }
    REQUIRE(!file.flush());
    auto got = read_file(d.export_dir() / "random.bin");
    REQUIRE(got.size() == size);
    CHECK(std::equal(got.begin(), got.end(), model.begin()));
    CHECK(ctx.stats().streams[0].failed == 0);
}

TEST_CASE("two streams: diod and a local cache file, cut differently, both complete") {
    NinePServer d;
    TempDir local;
    auto o = create_remote(d.local(), d, "two.bin");
    p9::NetfsWriteBackend upload({o.client->client(), o.file.number()}, {16});
    auto cache = netfs::LocalFileCache::open((local / "cache.bin").string());
    REQUIRE(cache);
    netfs::Context ctx;
    netfs::FileOptions fo;
    fo.streams = {{&upload, 4u << 20}, {cache->get(), 16u << 20}};
    netfs::File file(ctx, fo);
    auto data = random_bytes(48 << 20, 11);
    for (size_t pos = 0; pos < data.size(); pos += 1 << 20)
        REQUIRE(file.write(pos, std::span(data).subspan(pos, 1 << 20)));
    REQUIRE(!file.flush());
    CHECK(sha256_file(d.export_dir() / "two.bin") == sha256_hex(data));
    CHECK(sha256_file(local / "cache.bin") == sha256_hex(data));
    auto st = ctx.stats();
    CHECK(st.streams[0].bytes == data.size());
    CHECK(st.streams[1].bytes == data.size());
    CHECK(st.streams[0].issued > 10 * st.streams[1].issued);  // 64 KiB Twrites vs 1 MiB cache writes
    CHECK((*cache)->valid());
}

TEST_CASE("a dropped connection is reopened and the writes are retried") {
    NinePServer d;
    TcpRelay relay("127.0.0.1", "127.0.0.1", d.port());
    const auto ep = p9::Endpoint::tcp("127.0.0.1", relay.port());
    auto o = create_remote(ep, d, "reconnect.bin");
    // Reopened connections and their fids must live as long as the backend uses them.
    std::vector<std::unique_ptr<p9::BlockingClient>> spare;
    std::vector<p9::Fid> spare_fids;
    auto reopen = [&]() -> p9::result<p9::NetfsWriteBackend::Handle> {
        auto c = p9::BlockingClient::connect(ep);
        if (!c) return p9::fail(c.error());
        auto root = d.try_attach(**c, d.aname(), getuid());
        if (!root) return p9::fail(root.error());
        auto f = (*c)->walk(*root, "reconnect.bin");
        if (!f) return p9::fail(f.error());
        if (auto r = (*c)->open(*f, p9::open_flags::wronly); !r) return p9::fail(r.error());
        p9::NetfsWriteBackend::Handle h{(*c)->client(), f->number()};
        spare_fids.push_back(std::move(*f));
        spare.push_back(std::move(*c));
        return h;
    };
    p9::NetfsWriteBackend backend({o.client->client(), o.file.number()}, {16}, reopen);
    netfs::Context ctx;
    netfs::FileOptions fo;
    fo.streams = {{&backend, 2u << 20}};
    fo.dirty_background = 1ull << 40;
    fo.dirty_limit = 1ull << 40;
    netfs::File file(ctx, fo);
    auto data = random_bytes(64 << 20, 12);
    REQUIRE(file.write(0, data));
    std::thread cutter([&] {
        // Cut the connection once a few MiB are through.
        while (ctx.stats().streams[0].bytes < (4u << 20)) std::this_thread::sleep_for(std::chrono::milliseconds(1));
        relay.drop_connections();
    });
    auto ec = file.flush();
    cutter.join();
    REQUIRE_MESSAGE(!ec, ec.message());
    CHECK(backend.reconnects() == 1);
    CHECK(ctx.stats().streams[0].retried > 0);
    CHECK(sha256_file(d.export_dir() / "reconnect.bin") == sha256_hex(data));
}

TEST_CASE("netcp carries 1 GiB buffered, direct and write-through with identical SHA-256") {
    NinePServer d;
    TempDir local;
    write_random_file(local / "big.bin", 1ull << 30, 77);
    const auto sum = sha256_file(local / "big.bin");
    for (const char* mode : {"", "--direct", "--write-through"}) {
        CAPTURE(mode);
        const std::string name = std::string("big") + mode + ".bin";
        auto r = run(shell_quote(NETCP_BINARY) + " " + mode + " --stats --aname " + shell_quote(d.aname()) + " " +
                     q(local / "big.bin") + " 9p://127.0.0.1:" + std::to_string(d.port()) + "/" + name);
        REQUIRE_MESSAGE(r.status == 0, r.output);
        CHECK(r.output.find("stream 0 (upload): ") != std::string::npos);
        CHECK(r.output.find(" 0 failed") != std::string::npos);
        CHECK(sha256_file(d.export_dir() / name) == sum);
        fs::remove(d.export_dir() / name);  // keep the export small
    }
}

TEST_CASE("netcp --trace writes one JSON event per line") {
    NinePServer d;
    TempDir local;
    write_random_file(local / "f", 3 << 20, 78);
    auto r = run(shell_quote(NETCP_BINARY) + " --trace " + q(local / "trace.jsonl") + " --aname " +
                 shell_quote(d.aname()) + " " + q(local / "f") + " 9p://127.0.0.1:" + std::to_string(d.port()) + "/f");
    REQUIRE_MESSAGE(r.status == 0, r.output);
    auto trace = read_file(local / "trace.jsonl");
    std::string text(reinterpret_cast<const char*>(trace.data()), trace.size());
    CHECK(text.find("\"event\":\"sreq_issue\"") != std::string::npos);
    CHECK(text.find("\"event\":\"request_complete\"") != std::string::npos);
    CHECK(text.find("\"event\":\"folio_end\"") != std::string::npos);
    size_t lines = 0;
    for (char c : text) lines += c == '\n';
    CHECK(lines > 50);
}

TEST_CASE("a server killed mid-upload fails every upload mode, with no destination") {
    for (const char* mode : {"--direct", "--write-through"}) {
        CAPTURE(mode);
        NinePServer d;
        TempDir local;
        { std::ofstream(local / "huge").close(); }
        fs::resize_file(local / "huge", 4ull << 30);
        int pid = spawn({NETCP_BINARY, mode, "--aname", d.aname(), (local / "huge").string(),
                         "9p://127.0.0.1:" + std::to_string(d.port()) + "/huge"},
                        local / "log");
        REQUIRE(wait_until([&] {
            for (auto& e : fs::directory_iterator(d.export_dir()))
                if (e.path().filename().string().find(".partial") != std::string::npos) {
                    std::error_code ec;
                    return fs::file_size(e.path(), ec) > (16u << 20);
                }
            return false;
        }, 60));
        d.kill_now();
        CHECK(wait_exit_within(pid, 120) == 4);
        CHECK(!fs::exists(d.export_dir() / "huge"));
    }
}
