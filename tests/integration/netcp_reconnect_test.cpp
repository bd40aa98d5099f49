// netcp against a real diod through a relay the test controls: the connection dropped
// mid-upload and mid-download (each upload mode, downloads with and without --cache)
// must end in an identical copy after reconnecting; a connection that keeps dropping must
// end in exit 4, in bounded time, with no local partial file; SIGTERM and SIGHUP mid-copy
// must exit 143 / 129 with no partial file on either side.
#include <doctest/doctest.h>

#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>

#include "ninep_server.hpp"
#include "tcp_relay.hpp"
#include "test_util.hpp"

using namespace testutil;
namespace fs = std::filesystem;

namespace {

constexpr uint64_t MiB = 1ull << 20;

std::vector<std::string> partial_files(const fs::path& root) {
    std::vector<std::string> out;
    for (auto& e : fs::recursive_directory_iterator(root))
        if (e.path().filename().string().find(".netcp-") != std::string::npos) out.push_back(e.path().string());
    return out;
}

uint64_t partial_size(const fs::path& dir) {
    for (auto& e : fs::directory_iterator(dir))
        if (e.path().filename().string().find(".partial") != std::string::npos) {
            std::error_code ec;
            auto n = fs::file_size(e.path(), ec);
            return ec ? 0 : n;
        }
    return 0;
}

std::string text_of(const fs::path& log) {
    auto bytes = read_file(log);
    return std::string(reinterpret_cast<const char*>(bytes.data()), bytes.size());
}

std::string url(uint16_t port, const std::string& path) {
    return "9p://127.0.0.1:" + std::to_string(port) + "/" + path;
}

double seconds_since(std::chrono::steady_clock::time_point t) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}

// Runs netcp with `args` through the relay, drops the relayed connection once the partial
// file in `watched` holds more than 16 MiB, and returns netcp's exit status.
int copy_with_one_drop(const NinePServer& d, TcpRelay& relay, const std::vector<std::string>& args,
                       const fs::path& watched, const fs::path& log) {
    std::vector<std::string> argv = {NETCP_BINARY, "--aname", d.aname()};
    argv.insert(argv.end(), args.begin(), args.end());
    const int pid = spawn(argv, log);
    const bool started = wait_until([&] { return partial_size(watched) > 16 * MiB; }, 60);
    CHECK_MESSAGE(started, "the copy never got going");
    CHECK(relay.drop_connections() >= 1);
    return wait_exit_within(pid, 300);
}

}  // namespace

TEST_CASE("the connection dropped once mid-upload: netcp reconnects and the copy is identical") {
    NinePServer d;
    TempDir local;
    const uint64_t size = 256 * MiB;
    write_random_file(local / "big.bin", size, 181);
    const auto sum = sha256_file(local / "big.bin");
    for (const std::string mode : {"", "--write-through", "--direct"}) {
        CAPTURE(mode);
        for (const bool cache : {false, true}) {
            if (cache && mode == "--direct") continue;  // direct writes bypass the cache
            CAPTURE(cache);
            TcpRelay relay("127.0.0.1", "127.0.0.1", d.port());
            std::vector<std::string> args;
            if (!mode.empty()) args.push_back(mode);
            if (cache) args.insert(args.end(), {"--cache", (local / "cache").string()});
            args.insert(args.end(), {(local / "big.bin").string(), url(relay.port(), "up.bin")});
            const auto start = std::chrono::steady_clock::now();
            const int status = copy_with_one_drop(d, relay, args, d.export_dir(), local / "log");
            const auto out = text_of(local / "log");
            INFO(out);
            MESSAGE(mode << std::string(cache ? " --cache" : "") << ": " << seconds_since(start) << " s, "
                         << relay.accepted() << " connections");
            CHECK(status == 0);
            CHECK(relay.accepted() >= 2);  // it did reconnect
            CHECK(sha256_file(d.export_dir() / "up.bin") == sum);
            CHECK(partial_files(d.export_dir()).empty());
            CHECK(partial_files(local.path()).empty());
            fs::remove(d.export_dir() / "up.bin");
        }
    }
}

TEST_CASE("the connection dropped once mid-download: netcp reconnects and the copy is identical") {
    NinePServer d;
    TempDir local;
    const uint64_t size = 256 * MiB;
    write_random_file(d.export_dir() / "big.bin", size, 182);
    const auto sum = sha256_file(d.export_dir() / "big.bin");
    for (const bool cache : {false, true}) {
        CAPTURE(cache);
        TcpRelay relay("127.0.0.1", "127.0.0.1", d.port());
        fs::create_directories(local / "dl");
        std::vector<std::string> args;
        if (cache) args.insert(args.end(), {"--cache", (local / "cache").string()});
        args.insert(args.end(), {url(relay.port(), "big.bin"), (local / "dl/big.bin").string()});
        const auto start = std::chrono::steady_clock::now();
        const int status = copy_with_one_drop(d, relay, args, local / "dl", local / "log");
        INFO(text_of(local / "log"));
        MESSAGE(std::string(cache ? "--cache" : "plain") << ": " << seconds_since(start) << " s, " << relay.accepted()
                                              << " connections");
        CHECK(status == 0);
        CHECK(relay.accepted() >= 2);
        CHECK(sha256_file(local / "dl/big.bin") == sum);
        CHECK(partial_files(local.path()).empty());
        CHECK(partial_files(d.export_dir()).empty());
        fs::remove_all(local / "dl");
        fs::remove_all(local / "cache");
    }
}

// The relay cuts every connection every 30 ms for as long as netcp runs: no attempt gets
// far, and netcp must give up (exit 4) within its bounded attempts, saying so.
TEST_CASE("a connection that keeps dropping: exit 4 in bounded time, with --no-resume no local partial file") {
    NinePServer d;
    TempDir local;
    write_random_file(local / "big.bin", 256 * MiB, 183);
    write_random_file(d.export_dir() / "down.bin", 256 * MiB, 184);
    struct Case {
        bool upload;
        std::string extra;
    };
    for (const Case& c : {Case{true, ""}, Case{true, "--direct"}, Case{false, ""}, Case{false, "--cache"}}) {
        CAPTURE(c.upload);
        CAPTURE(c.extra);
        TcpRelay relay("127.0.0.1", "127.0.0.1", d.port());
        fs::create_directories(local / "dl");
        // --no-resume: by default a copy that gave up keeps its partial file to continue it.
        std::vector<std::string> argv = {NETCP_BINARY, "--no-resume", "--aname", d.aname()};
        if (c.extra == "--cache") argv.insert(argv.end(), {"--cache", (local / "cache").string()});
        else if (!c.extra.empty()) argv.push_back(c.extra);
        if (c.upload) argv.insert(argv.end(), {(local / "big.bin").string(), url(relay.port(), "up.bin")});
        else argv.insert(argv.end(), {url(relay.port(), "down.bin"), (local / "dl/down.bin").string()});
        const auto start = std::chrono::steady_clock::now();
        const int pid = spawn(argv, local / "log");
        std::atomic<bool> done{false};
        std::thread cutter([&] {
            // Let the first connection start the transfer, then cut everything, often.
            std::this_thread::sleep_for(std::chrono::milliseconds(200));
            for (int i = 0; i < 3000 && !done; ++i) {  // at most 90 s
                relay.drop_connections();
                std::this_thread::sleep_for(std::chrono::milliseconds(30));
            }
        });
        const int status = wait_exit_within(pid, 90);
        done = true;
        cutter.join();
        const double secs = seconds_since(start);
        const auto out = text_of(local / "log");
        INFO(out);
        MESSAGE(std::string(c.upload ? "upload " : "download ") << c.extra << ": exit " << status << " after " << secs << " s, "
                                                     << relay.accepted() << " connections");
        CHECK(status == 4);
        CHECK(secs < 30);
        CHECK(out.find("reconnection attempts") != std::string::npos);
        CHECK(partial_files(local.path()).empty());
        CHECK(!fs::exists(local / "dl/down.bin"));
        if (c.upload) {
            CHECK(!fs::exists(d.export_dir() / "up.bin"));
            // Removed on a new connection, or named in the message as left behind.
            for (const auto& left : partial_files(d.export_dir())) {
                CHECK(out.find(fs::path(left).filename().string()) != std::string::npos);
                fs::remove(left);
            }
        }
        fs::remove_all(local / "dl");
        fs::remove_all(local / "cache");
    }
}

TEST_CASE("SIGTERM and SIGHUP mid-copy exit 143 and 129, with --no-resume leaving no partial file on either side") {
    NinePServer d;
    TempDir local;
    // Sparse: big enough to still be in flight when the signal comes, cheap to make.
    { std::ofstream(local / "huge").close(); }
    fs::resize_file(local / "huge", 4ull << 30);
    { std::ofstream(d.export_dir() / "huge").close(); }
    fs::resize_file(d.export_dir() / "huge", 4ull << 30);
    for (const int sig : {SIGTERM, SIGHUP}) {
        CAPTURE(sig);
        for (const bool upload : {true, false}) {
            for (const bool cache : {false, true}) {
                CAPTURE(upload);
                CAPTURE(cache);
                fs::create_directories(local / "dl");
                // --no-resume: by default an interrupted copy keeps its partial file.
                std::vector<std::string> argv = {NETCP_BINARY, "--no-resume", "--aname", d.aname()};
                if (cache) argv.insert(argv.end(), {"--cache", (local / "cache").string()});
                if (upload) argv.insert(argv.end(), {(local / "huge").string(), url(d.port(), "up")});
                else argv.insert(argv.end(), {url(d.port(), "huge"), (local / "dl/huge").string()});
                const int pid = spawn(argv, local / "log");
                const fs::path watched = upload ? d.export_dir() : local / "dl";
                const bool started = wait_until([&] { return partial_size(watched) > 16 * MiB; }, 60);
                CHECK(started);
                const auto start = std::chrono::steady_clock::now();
                ::kill(pid, sig);
                const int status = wait_exit_within(pid, 120);
                INFO(text_of(local / "log"));
                CHECK(status == 128 + sig);
                CHECK(seconds_since(start) < 20);
                CHECK(!fs::exists(d.export_dir() / "up"));
                CHECK(!fs::exists(local / "dl/huge"));
                CHECK(partial_files(d.export_dir()).empty());
                CHECK(partial_files(local / "dl").empty());
                fs::remove_all(local / "dl");
                fs::remove_all(local / "cache");
            }
        }
    }
}

TEST_CASE("the connection dropped during a tree copy (-r, many small files, both ways): the tree is identical") {
    // Most requests of such a copy are lookups, listings and mkdirs, not data: a drop lands
    // in them and netcp must reconnect there too, not end the tree copy.
    NinePServer d;
    TempDir local;
    const int dirs = 10, files = 40;
    for (int i = 0; i < dirs; ++i) {
        fs::create_directories(local / "tree" / ("d" + std::to_string(i)));
        for (int j = 0; j < files; ++j)
            write_file(local / "tree" / ("d" + std::to_string(i)) / ("f" + std::to_string(j)),
                       random_bytes(100 + static_cast<size_t>(i * files + j), static_cast<uint64_t>(1000 + i * files + j)));
    }
    auto count_files = [](const fs::path& root) {
        size_t n = 0;
        std::error_code ec;
        for (auto it = fs::recursive_directory_iterator(root, ec); !ec && it != fs::recursive_directory_iterator();
             it.increment(ec))
            if (it->is_regular_file()) ++n;
        return n;
    };
    auto same_tree = [&](const fs::path& a, const fs::path& b) {
        for (int i = 0; i < dirs; ++i)
            for (int j = 0; j < files; ++j) {
                const auto rel = fs::path("d" + std::to_string(i)) / ("f" + std::to_string(j));
                if (!fs::exists(b / rel) || read_file(a / rel) != read_file(b / rel)) return false;
            }
        return count_files(b) == size_t(dirs * files);
    };
    for (const bool upload : {true, false}) {
        CAPTURE(upload);
        TcpRelay relay("127.0.0.1", "127.0.0.1", d.port());
        std::vector<std::string> argv = {NETCP_BINARY, "--aname", d.aname(), "-r"};
        const fs::path dest = upload ? d.export_dir() / "tree" : local / "back";
        if (upload) argv.insert(argv.end(), {(local / "tree").string(), url(relay.port(), "tree")});
        else argv.insert(argv.end(), {url(relay.port(), "tree"), dest.string()});
        const int pid = spawn(argv, local / "log");
        // Drop it three times, each once more of the tree has been copied.
        size_t drops = 0;
        for (size_t at : {size_t(60), size_t(180), size_t(300)}) {
            if (!wait_until([&] { return count_files(dest) >= at; }, 60)) break;
            drops += relay.drop_connections();
        }
        const int status = wait_exit_within(pid, 120);
        const auto out = text_of(local / "log");
        INFO(out);
        MESSAGE(std::string(upload ? "upload" : "download") << ": " << drops << " connections dropped, "
                                                            << relay.accepted() << " made");
        CHECK(status == 0);
        CHECK(drops >= 1);
        CHECK(relay.accepted() >= 2);
        CHECK(same_tree(local / "tree", dest));
        CHECK(partial_files(local.path()).empty());
        CHECK(partial_files(d.export_dir()).empty());
    }
}
