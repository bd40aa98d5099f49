// Resuming interrupted copies against a real 9P server: netcp killed (SIGKILL) at random
// points of a 1 GiB upload and download, then the same command run again, each time
// continuing from what the other side had acknowledged, and ending byte-identical; a
// resume never trusts what it cannot check (a partial file changed on either side, a
// source that changed), --no-resume starts over, and a copy that lost its connection
// keeps its partial file for the next run.
#include <doctest/doctest.h>

#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <regex>
#include <thread>

#include "ninep_server.hpp"
#include "tcp_relay.hpp"
#include "test_util.hpp"

using namespace testutil;
namespace fs = std::filesystem;

namespace {

constexpr uint64_t MiB = 1u << 20;
// What a killed run may have had in flight beyond what it recorded as acknowledged: the
// upload's in-flight window (--depth 16 × msize 1 MiB), plus one journal step and one
// alignment step (256 KiB each), plus one more request.
constexpr uint64_t in_flight_slack = 16 * MiB + 512 * 1024 + MiB;

std::string url(uint16_t port, const std::string& path) {
    return "9p://127.0.0.1:" + std::to_string(port) + "/" + path;
}

std::string text_of(const fs::path& p) {
    const auto bytes = read_file(p);
    return std::string(reinterpret_cast<const char*>(bytes.data()), bytes.size());
}

std::vector<fs::path> partials_in(const fs::path& dir) {
    std::vector<fs::path> out;
    for (auto& e : fs::directory_iterator(dir))
        if (e.path().filename().string().find(".partial") != std::string::npos) out.push_back(e.path());
    return out;
}

uint64_t partial_size(const fs::path& dir) {
    for (const auto& p : partials_in(dir)) {
        std::error_code ec;
        const auto n = fs::file_size(p, ec);
        if (!ec) return n;
    }
    return 0;
}

size_t files_in(const fs::path& dir) {
    std::error_code ec;
    if (!fs::exists(dir, ec)) return 0;
    return size_t(std::distance(fs::directory_iterator(dir), fs::directory_iterator()));
}

fs::path upload_journals() { return fs::path(std::getenv("NETCP_STATE_DIR")) / "uploads"; }

// Where the -v line of a run that continued an earlier one says it started, or -1.
int64_t resumed_at(const std::string& log) {
    static const std::regex re("continuing an interrupted copy after byte ([0-9]+)");
    std::smatch m;
    return std::regex_search(log, m, re) ? std::stoll(m[1]) : -1;
}

// A number field of the --json file_done line, or -1.
int64_t file_done_field(const std::string& out, const std::string& field) {
    const std::regex re("\\{[^\\n]*\"event\":\"file_done\"[^\\n]*");
    std::smatch m;
    if (!std::regex_search(out, m, re)) return -1;
    const std::string line = m[0];
    const std::regex f("\"" + field + "\":([0-9]+)");
    std::smatch n;
    return std::regex_search(line, n, f) ? std::stoll(n[1]) : -1;
}

struct Copy {
    std::vector<std::string> args;  // after the binary
    fs::path partial_dir;           // where its partial file appears
};

// Kills `copy` (SIGKILL) once its partial file holds more than `threshold` bytes, and
// returns the partial file's size afterwards (what the other side holds, acknowledged or
// not) and the run's log.
std::pair<uint64_t, std::string> kill_at(const Copy& copy, uint64_t threshold, const fs::path& log) {
    std::vector<std::string> argv = {NETCP_BINARY};
    argv.insert(argv.end(), copy.args.begin(), copy.args.end());
    const int pid = spawn(argv, log);
    const bool reached = wait_until([&] { return partial_size(copy.partial_dir) > threshold; }, 120);
    ::kill(pid, SIGKILL);
    const int status = wait_exit_within(pid, 60);
    CHECK_MESSAGE(reached, "the copy never passed byte " << threshold << ": " << text_of(log));
    CHECK(status == 128 + SIGKILL);
    return {partial_size(copy.partial_dir), text_of(log)};
}

// Runs the copy to its end with --json.
CommandResult finish(const Copy& copy) {
    std::string cmd = shell_quote(NETCP_BINARY) + " --json";
    for (const auto& a : copy.args) cmd += " " + shell_quote(a);
    return run(cmd);
}

// The cases that copy one file each way: local up.bin to the server's up.bin, and the
// server's down.bin to local dl/down.bin (through `port`: the server's, or a relay's).
Copy one_way(const NinePServer& d, const fs::path& local, bool up, uint16_t port, std::vector<std::string> flags) {
    flags.insert(flags.end(), {"--aname", d.aname()});
    if (up) flags.insert(flags.end(), {(local / "up.bin").string(), url(port, "up.bin")});
    else flags.insert(flags.end(), {url(port, "down.bin"), (local / "dl/down.bin").string()});
    return Copy{std::move(flags), up ? d.export_dir() : local / "dl"};
}
bool copied_identically(const NinePServer& d, const fs::path& local, bool up) {
    return up ? sha256_file(d.export_dir() / "up.bin") == sha256_file(local / "up.bin")
              : sha256_file(local / "dl/down.bin") == sha256_file(d.export_dir() / "down.bin");
}

// Kills `copy` at `rounds` random points, each run continuing the last, then lets it
// finish; checks every continuation started within the slack of what the server (or the
// local disk) held when the previous run was killed.
void kill_and_continue(const Copy& copy, uint64_t size, int rounds, std::mt19937_64& rng, const fs::path& logs) {
    uint64_t held = 0;
    for (int round = 0; round < rounds; ++round) {
        CAPTURE(round);
        // Somewhere in what is left, away from both ends.
        const uint64_t left = size - held;
        std::uniform_int_distribution<uint64_t> pick(held + left / 10, held + left * 9 / 10);
        const uint64_t threshold = pick(rng);
        auto [now, log] = kill_at(copy, threshold, logs / ("run" + std::to_string(round) + ".log"));
        if (round > 0) {
            const int64_t at = resumed_at(log);
            MESSAGE("run " << round << " continued at " << at << " of the " << held << " bytes held");
            CHECK_MESSAGE(at >= 0, log);
            CHECK(uint64_t(at) <= held);
            CHECK(uint64_t(at) + in_flight_slack >= held);
        }
        MESSAGE("run " << round << " killed past byte " << threshold << "; " << now << " bytes held");
        held = now;
        REQUIRE(held < size);
    }
    const auto r = finish(copy);
    INFO(r.output);
    REQUIRE(r.status == 0);
    const int64_t from = file_done_field(r.output, "resumed_from");
    const int64_t bytes = file_done_field(r.output, "bytes");
    MESSAGE("the last run continued at " << from << " (" << held << " held), copying " << bytes << " bytes");
    CHECK(from > 0);
    CHECK(uint64_t(from) <= held);
    CHECK(uint64_t(from) + in_flight_slack >= held);
    CHECK(uint64_t(bytes) == size - uint64_t(from));
    // What remained plus at most the in-flight window: never a start from scratch.
    CHECK(uint64_t(bytes) <= size - held + in_flight_slack);
}

uint64_t seed_from_env() {
    if (const char* s = std::getenv("NETCP_TEST_SEED")) return std::strtoull(s, nullptr, 10);
    return std::random_device{}();
}

// 1 GiB against diod; the other servers run the same cases on less (their suites run
// under the same time budget, and the point there is the protocol, not the size), and so
// does ThreadSanitizer (there the point is the journal fed from the collector's threads).
uint64_t big_size() {
#if defined(__SANITIZE_THREAD__)
    return 128 * MiB;
#else
    return server_kind() == ServerKind::diod ? 1024 * MiB : 256 * MiB;
#endif
}

}  // namespace

TEST_CASE("SIGKILL at random points of a 1 GiB upload: each run continues, the file is identical") {
    NinePServer d;
    TempDir local;
    const uint64_t size = big_size();
    write_random_file(local / "big.bin", size, 1501);
    const std::string want = sha256_file(local / "big.bin");
    const uint64_t seed = seed_from_env();
    MESSAGE("seed " << seed << " (NETCP_TEST_SEED=" << seed << " repeats it)");
    std::mt19937_64 rng(seed);
    const Copy copy{{"-v", "--no-progress", "--aname", d.aname(), (local / "big.bin").string(),
                     url(d.port(), "big.bin")},
                    d.export_dir()};
    kill_and_continue(copy, size, 3, rng, local.path());
    CHECK(sha256_file(d.export_dir() / "big.bin") == want);
    CHECK(partials_in(d.export_dir()).empty());
    CHECK(files_in(upload_journals()) == 0);
}

TEST_CASE("SIGKILL at random points of a 1 GiB download: each run continues, the file is identical") {
    NinePServer d;
    TempDir local;
    const uint64_t size = big_size();
    write_random_file(d.export_dir() / "big.bin", size, 1502);
    const std::string want = sha256_file(d.export_dir() / "big.bin");
    const uint64_t seed = seed_from_env();
    MESSAGE("seed " << seed << " (NETCP_TEST_SEED=" << seed << " repeats it)");
    std::mt19937_64 rng(seed);
    fs::create_directories(local / "dl");
    for (const bool cache : {false, true}) {
        CAPTURE(cache);
        // Plain Tread pipeline, and through the engine's read path (--cache).
        std::vector<std::string> args = {"-v", "--no-progress", "--aname", d.aname()};
        if (cache) args.insert(args.end(), {"--cache", (local / "cache").string()});
        args.insert(args.end(), {url(d.port(), "big.bin"), (local / "dl/big.bin").string()});
        kill_and_continue(Copy{args, local / "dl"}, size, cache ? 1 : 3, rng, local.path());
        CHECK(sha256_file(local / "dl/big.bin") == want);
        CHECK(files_in(local / "dl") == 1);  // no partial file, no journal
        fs::remove(local / "dl/big.bin");
    }
}

TEST_CASE("a resume checks before it trusts: a changed partial file or source starts over") {
    NinePServer d;
    TempDir local;
    const uint64_t size = 128 * MiB;
    write_random_file(local / "up.bin", size, 1503);
    write_random_file(d.export_dir() / "down.bin", size, 1504);
    fs::create_directories(local / "dl");
    const Copy up = one_way(d, local.path(), true, d.port(), {"-v", "--no-progress"});
    const Copy down = one_way(d, local.path(), false, d.port(), {"-v", "--no-progress"});
    // Overwrites the 3 MiB of the partial file before what it held when it was killed.
    auto corrupt_before_prefix = [](const fs::path& dir, uint64_t held) {
        const auto partial = partials_in(dir);
        REQUIRE(partial.size() == 1);
        std::fstream f(partial[0], std::ios::in | std::ios::out | std::ios::binary);
        const auto at = static_cast<std::streamoff>(held > 4 * MiB ? held - 3 * MiB : 1);
        // Every byte within the last MiB before any resume point must be checked; so
        // corrupt the whole range the check could cover.
        std::vector<char> junk(3 * MiB - 1, 'X');
        f.seekp(at);
        f.write(junk.data(), static_cast<std::streamsize>(junk.size()));
    };
    for (const Copy* c : {&up, &down}) {
        const bool is_up = c == &up;
        CAPTURE(is_up);
        // The partial file changed where the check looks: it starts over, and is right.
        auto [held, log] = kill_at(*c, 48 * MiB, local / "a.log");
        corrupt_before_prefix(c->partial_dir, held);
        auto r = finish(*c);
        INFO(r.output);
        CHECK(r.status == 0);
        CHECK(r.output.find("not resuming") != std::string::npos);
        CHECK(r.output.find("differs") != std::string::npos);
        CHECK(file_done_field(r.output, "resumed_from") == -1);
        CHECK(file_done_field(r.output, "bytes") == int64_t(size));
        CHECK(copied_identically(d, local.path(), is_up));
        CHECK(partials_in(c->partial_dir).empty());

        // The source changed after the interruption: it starts over, from the new source.
        std::tie(held, log) = kill_at(*c, 48 * MiB, local / "b.log");
        const fs::path source = is_up ? local / "up.bin" : d.export_dir() / "down.bin";
        write_random_file(source, size, is_up ? 1505 : 1506);
        r = finish(*c);
        CHECK(r.status == 0);
        CHECK(file_done_field(r.output, "resumed_from") == -1);
        CHECK(copied_identically(d, local.path(), is_up));
        CHECK(partials_in(c->partial_dir).empty());
    }
    CHECK(files_in(upload_journals()) == 0);
    CHECK(files_in(local / "dl") == 1);
}

TEST_CASE("--no-resume after an interruption starts over and leaves nothing behind") {
    NinePServer d;
    TempDir local;
    const uint64_t size = 128 * MiB;
    write_random_file(local / "up.bin", size, 1507);
    write_random_file(d.export_dir() / "down.bin", size, 1508);
    fs::create_directories(local / "dl");
    for (const bool is_up : {true, false}) {
        CAPTURE(is_up);
        Copy c = one_way(d, local.path(), is_up, d.port(), {"--no-progress"});
        kill_at(c, 48 * MiB, local / "a.log");
        REQUIRE(partials_in(c.partial_dir).size() == 1);
        c.args.insert(c.args.begin(), "--no-resume");
        auto r = finish(c);
        INFO(r.output);
        CHECK(r.status == 0);
        CHECK(file_done_field(r.output, "resumed_from") == -1);
        CHECK(file_done_field(r.output, "bytes") == int64_t(size));
        CHECK(partials_in(c.partial_dir).empty());  // the earlier partial file is gone too
        CHECK(copied_identically(d, local.path(), is_up));
    }
    CHECK(files_in(upload_journals()) == 0);
    CHECK(files_in(local / "dl") == 1);
}

TEST_CASE("a copy that lost its connection keeps its partial file, and the same command continues it") {
    NinePServer d;
    TempDir local;
    const uint64_t size = 256 * MiB;
    write_random_file(local / "up.bin", size, 1509);
    write_random_file(d.export_dir() / "down.bin", size, 1510);
    fs::create_directories(local / "dl");
    TcpRelay relay("127.0.0.1", "127.0.0.1", d.port());
    for (const bool is_up : {true, false}) {
        CAPTURE(is_up);
        const Copy c = one_way(d, local.path(), is_up, relay.port(), {"--no-progress"});
        const fs::path& partial_dir = c.partial_dir;
        std::vector<std::string> argv = {NETCP_BINARY};
        argv.insert(argv.end(), c.args.begin(), c.args.end());
        const int pid = spawn(argv, local / "log");
        REQUIRE(wait_until([&] { return partial_size(partial_dir) > 32 * MiB; }, 60));
        // Cut every connection, often, until netcp gives up (at most 90 s).
        std::atomic<bool> done{false};
        std::thread cutter([&] {
            for (int i = 0; i < 3000 && !done; ++i) {
                relay.drop_connections();
                std::this_thread::sleep_for(std::chrono::milliseconds(30));
            }
        });
        const int status = wait_exit_within(pid, 90);
        done = true;
        cutter.join();
        const std::string log = text_of(local / "log");
        INFO(log);
        CHECK(status == 4);
        CHECK(log.find("is kept: the same command continues it") != std::string::npos);
        const uint64_t held = partial_size(partial_dir);
        CHECK(partials_in(partial_dir).size() == 1);

        const auto r = finish(c);
        INFO(r.output);
        CHECK(r.status == 0);
        const int64_t from = file_done_field(r.output, "resumed_from");
        MESSAGE(std::string(is_up ? "upload" : "download") << " continued at " << from << " of " << held << " held");
        CHECK(from > 0);
        CHECK(uint64_t(from) + in_flight_slack >= held);
        CHECK(copied_identically(d, local.path(), is_up));
        CHECK(partials_in(partial_dir).empty());
    }
}

TEST_CASE("a journal planted beside a download cannot point netcp at another file") {
    NinePServer d;
    TempDir local;
    write_random_file(d.export_dir() / "f.bin", 8 * MiB, 1511);
    fs::create_directories(local / "dl");
    write_file(local / "victim", std::string("keep me"));
    // A first run, killed, gives the journal its real name; then its contents are replaced
    // with records naming files that are not this download's partial file.
    const Copy c{{"--no-progress", "--bwlimit", "2M", "--aname", d.aname(), url(d.port(), "f.bin"),
                  (local / "dl/f.bin").string()},
                 local / "dl"};
    kill_at(c, MiB, local / "a.log");
    fs::path journal;
    for (auto& e : fs::directory_iterator(local / "dl"))
        if (e.path().extension() == ".resume") journal = e.path();
    REQUIRE(!journal.empty());
    const std::string original = text_of(journal);
    const auto nl = original.find('\n');
    for (const std::string evil : {"../victim", "victim", ".f.bin.netcp-aaaaaa.partial"}) {
        CAPTURE(evil);
        std::string text = original;
        const auto at = text.find("\"partial\":\"");
        REQUIRE(at < nl);
        const auto end = text.find('"', at + 11);
        text.replace(at + 11, end - (at + 11), evil);
        write_file(journal, text);
        if (evil == ".f.bin.netcp-aaaaaa.partial") fs::create_symlink(local / "victim", local / "dl" / evil);
        const auto r = finish(Copy{{"--no-progress", "--aname", d.aname(), url(d.port(), "f.bin"),
                                    (local / "dl/f.bin").string()},
                                   local / "dl"});
        INFO(r.output);
        CHECK(r.status == 0);
        CHECK(file_done_field(r.output, "resumed_from") == -1);
        CHECK(text_of(local / "victim") == "keep me");
        CHECK(sha256_file(local / "dl/f.bin") == sha256_file(d.export_dir() / "f.bin"));
        // Start the next case from an interrupted run again.
        for (auto& p : partials_in(local / "dl")) fs::remove(p);
        fs::remove(local / "dl/f.bin");
        kill_at(c, MiB, local / "a.log");
    }
}
