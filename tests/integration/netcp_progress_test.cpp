// What netcp shows while it copies, and how fast it is allowed to: the live progress line
// in a real terminal (tmux, the pane captured during a copy slowed by --bwlimit), at full
// and narrow widths; nothing animated on a stderr that is not a terminal; and --bwlimit
// keeping uploads and downloads within 10% of the rate over five seconds.
#include <doctest/doctest.h>

#include <unistd.h>

#include <chrono>
#include <regex>
#include <sstream>
#include <thread>

#include "ninep_server.hpp"
#include "test_util.hpp"

using namespace testutil;
namespace fs = std::filesystem;

namespace {

std::string q(const fs::path& p) { return shell_quote(p.string()); }

std::string url(const NinePServer& d, const std::string& path) {
    return "9p://127.0.0.1:" + std::to_string(d.port()) + "/" + path;
}

std::string netcp(const NinePServer& d) { return shell_quote(NETCP_BINARY) + " --aname " + shell_quote(d.aname()); }

std::vector<std::string> lines_of(const std::string& text) {
    std::vector<std::string> v;
    std::istringstream in(text);
    for (std::string l; std::getline(in, l);) v.push_back(l);
    return v;
}

// A tmux server of the test's own (its own socket), running one command in a pane of the
// given size; killed, with its pane, at the end.
class Terminal {
public:
    Terminal(const std::string& command, int width, int height)
        : socket_("netcp-test-" + std::to_string(::getpid()) + "-" + std::to_string(counter_++)) {
        auto r = run(tmux() + " new-session -d -s t -x " + std::to_string(width) + " -y " + std::to_string(height) +
                     " " + shell_quote(command + "; echo netcp-exit=$?; sleep 120"));
        REQUIRE_MESSAGE(r.status == 0, "tmux could not start (install-deps installs it): " << r.output);
    }
    ~Terminal() { (void)run(tmux() + " kill-server"); }
    Terminal(const Terminal&) = delete;
    Terminal& operator=(const Terminal&) = delete;

    // What the pane shows now, one string per row (trailing blanks removed by tmux).
    std::vector<std::string> capture() const {
        auto r = run(tmux() + " capture-pane -p -t t");
        return lines_of(r.output);
    }
    // Captures the pane every 100 ms until the command has ended (at most `seconds`).
    std::vector<std::vector<std::string>> record(double seconds) const {
        std::vector<std::vector<std::string>> shots;
        const auto until = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
        while (std::chrono::steady_clock::now() < until) {
            shots.push_back(capture());
            for (const auto& l : shots.back())
                if (l.find("netcp-exit=") != std::string::npos) return shots;
            std::this_thread::sleep_for(std::chrono::milliseconds(100));
        }
        FAIL("the command did not end within " << seconds << " s");
        return shots;
    }

private:
    std::string tmux() const { return "tmux -L " + socket_ + " -f /dev/null"; }
    static inline int counter_ = 0;
    std::string socket_;
};

bool has_control_text(const std::string& l) {
    for (unsigned char c : l)
        if (c < 0x20 || c == 0x7f) return true;
    // An escape sequence tmux did not interpret shows up as its printable tail.
    return l.find("[K") != std::string::npos;
}

// The rows before the exit marker, in the last capture that has it.
std::vector<std::string> final_rows(const std::vector<std::vector<std::string>>& shots) {
    const auto& last = shots.back();
    std::vector<std::string> rows;
    for (const auto& l : last) {
        if (l.find("netcp-exit=") != std::string::npos) break;
        rows.push_back(l);
    }
    return rows;
}

double seconds_of(const std::function<void()>& f) {
    const auto t0 = std::chrono::steady_clock::now();
    f();
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

}  // namespace

TEST_CASE("on a terminal: a live progress line that is clean, and gone when the copy ends") {
    NinePServer d;
    TempDir tmp;
    write_random_file(tmp / "big.bin", 30u << 20, 1);
    Terminal term(netcp(d) + " --bwlimit 10M " + q(tmp / "big.bin") + " " + url(d, "big.bin"), 100, 8);
    const auto shots = term.record(30);
    // e.g. "12.0 MiB  10.0 MiB/s  40%  ETA 0:02  0/1 files  /tmp/.../big.bin"
    const std::regex line(R"(^[0-9.]+ (B|KiB|MiB)  ([0-9.]+ (B|KiB|MiB)|--)/s  [0-9]+%  ETA [0-9-]+:[0-9-]{2}  0/1 files  .*big\.bin$)");
    int seen = 0;
    for (const auto& shot : shots) {
        for (const auto& l : shot) {
            CHECK_MESSAGE(!has_control_text(l), "row: " << l);
            CHECK_MESSAGE(l.size() <= 99, "row wider than the terminal allows: " << l);
        }
        if (!shot.empty() && std::regex_match(shot.front(), line)) ++seen;
    }
    CHECK_MESSAGE(seen >= 5, "the progress line was in " << seen << " of " << shots.size() << " captures; last: "
                                                         << (shots.back().empty() ? "" : shots.back().front()));
    // It advanced: the rate is known in a later capture.
    bool rated = false;
    for (const auto& shot : shots)
        if (!shot.empty() && shot.front().find("MiB/s") != std::string::npos) rated = true;
    CHECK(rated);
    // At the end the line is gone and nothing else was printed.
    const auto rows = final_rows(shots);
    for (const auto& r : rows) CHECK_MESSAGE(r.empty(), "left on the screen: " << r);
    CHECK(shots.back().size() >= 1);
    bool ok = false;
    for (const auto& l : shots.back()) ok |= l == "netcp-exit=0";
    CHECK(ok);
    CHECK(sha256_file(tmp / "big.bin") == sha256_file(d.export_dir() / "big.bin"));
}

TEST_CASE("on a narrow terminal the progress line never wraps, and an error message is not mixed into it") {
    NinePServer d;
    TempDir tmp;
    write_random_file(tmp / "a-file-with-a-rather-long-name.bin", 20u << 20, 2);
    for (int width : {40, 24, 12}) {
        CAPTURE(width);
        // The second source is missing: its error comes while the first is still shown.
        Terminal term(netcp(d) + " --bwlimit 10M " + q(tmp / "a-file-with-a-rather-long-name.bin") + " " +
                          q(tmp / "missing") + " " + url(d, ""),
                      width, 10);
        const auto shots = term.record(30);
        int progress_rows = 0;
        for (const auto& shot : shots) {
            REQUIRE(!shot.empty());
            for (size_t i = 0; i < shot.size(); ++i) {
                const auto& row = shot[i];
                CHECK_MESSAGE(!has_control_text(row), "row: " << row);
                // A progress row starts with the bytes so far (at 12 columns only they fit);
                // it is wherever the cursor is (after the error, once that is printed).
                if (!std::regex_search(row, std::regex("^[0-9.]+ (B|KiB|MiB)"))) continue;
                ++progress_rows;
                CHECK_MESSAGE(int(row.size()) <= width - 1, "progress row of " << row.size() << ": " << row);
                // Nothing wrapped onto the next row.
                if (i + 1 < shot.size()) CHECK_MESSAGE(shot[i + 1].empty(), "the row after it: " << shot[i + 1]);
            }
        }
        CHECK(progress_rows >= 3);
        // The error is whole, on rows of its own, and the exit status says a file failed.
        std::string screen;
        for (const auto& l : shots.back()) screen += l;
        CHECK_MESSAGE(screen.find("netcp: cannot stat") != std::string::npos, screen);
        CHECK_MESSAGE(screen.find("netcp-exit=5") != std::string::npos, screen);
    }
}

TEST_CASE("stderr that is not a terminal gets no progress and no escape sequence, and -v one line per file") {
    NinePServer d;
    TempDir tmp;
    write_random_file(tmp / "f.bin", 12u << 20, 3);
    auto r = run("( " + netcp(d) + " --bwlimit 10M " + q(tmp / "f.bin") + " " + url(d, "f.bin") + " 2>" +
                 q(tmp / "err") + " )");
    REQUIRE_MESSAGE(r.status == 0, r.output);
    auto err = read_file(tmp / "err");
    CHECK_MESSAGE(err.empty(), std::string(reinterpret_cast<const char*>(err.data()), err.size()));
    r = run("( " + netcp(d) + " -v --bwlimit 20M " + q(tmp / "f.bin") + " " + url(d, "g.bin") + " 2>" +
            q(tmp / "err") + " )");
    REQUIRE_MESSAGE(r.status == 0, r.output);
    err = read_file(tmp / "err");
    const std::string text(reinterpret_cast<const char*>(err.data()), err.size());
    for (char c : text) CHECK_MESSAGE((c == '\n' || (static_cast<unsigned char>(c) >= 0x20 && c != 0x7f)), text);
    CHECK_MESSAGE(text.find("' -> '" + url(d, "g.bin") + "' (12582912 bytes)\n") != std::string::npos, text);
}

TEST_CASE("-q and --no-progress: nothing on the terminal") {
    NinePServer d;
    TempDir tmp;
    write_random_file(tmp / "f.bin", 8u << 20, 4);
    for (const char* flag : {"-q", "--no-progress"}) {
        CAPTURE(flag);
        Terminal term(netcp(d) + " " + flag + " --bwlimit 8M " + q(tmp / "f.bin") + " " + url(d, "f.bin"), 80, 6);
        const auto shots = term.record(30);
        for (const auto& shot : shots)
            for (const auto& l : shot)
                CHECK_MESSAGE((l.empty() || l == "netcp-exit=0"), "row: " << l);
    }
}

TEST_CASE("--bwlimit holds uploads and downloads within 10% of the rate over five seconds") {
    NinePServer d;
    TempDir tmp;
    // 50 MiB at 10 MiB/s: five seconds each way.
    constexpr uint64_t size = 50u << 20;
    constexpr double expected = 5.0;
    write_random_file(tmp / "src.bin", size, 5);
    const std::string sum = sha256_file(tmp / "src.bin");
    struct Mode {
        const char* name;
        const char* flags;
    };
    for (const Mode m : {Mode{"buffered", ""}, Mode{"direct", "--direct"}}) {
        CAPTURE(m.name);
        CommandResult r;
        const double up = seconds_of([&] {
            r = run(netcp(d) + " -q --bwlimit 10M " + m.flags + " " + q(tmp / "src.bin") + " " + url(d, "up.bin"));
        });
        REQUIRE_MESSAGE(r.status == 0, r.output);
        CHECK(sha256_file(d.export_dir() / "up.bin") == sum);
        CHECK_MESSAGE(up >= expected * 0.9, "upload took " << up << " s");
        CHECK_MESSAGE(up <= expected * 1.1, "upload took " << up << " s");
    }
    for (const char* flags : {"", "--cache CACHE"}) {
        CAPTURE(flags);
        std::string f = flags;
        if (!f.empty()) f = "--cache " + q(tmp / "cache");
        fs::remove(tmp / "down.bin");
        CommandResult r;
        const double down = seconds_of([&] {
            r = run(netcp(d) + " -q --bwlimit 10M " + f + " " + url(d, "up.bin") + " " + q(tmp / "down.bin"));
        });
        REQUIRE_MESSAGE(r.status == 0, r.output);
        CHECK(sha256_file(tmp / "down.bin") == sum);
        CHECK_MESSAGE(down >= expected * 0.9, "download took " << down << " s");
        CHECK_MESSAGE(down <= expected * 1.1, "download took " << down << " s");
    }
}

TEST_CASE("--bwlimit: rates it takes and rates it refuses") {
    NinePServer d;
    TempDir tmp;
    write_file(tmp / "f", std::string("x"));
    for (const char* bad : {"fast", "10X", "-5M", "1.2.3M", ""}) {
        CAPTURE(bad);
        auto r = run(netcp(d) + " --bwlimit " + shell_quote(bad) + " " + q(tmp / "f") + " " + url(d, "f"));
        CHECK(r.status == 2);
    }
    auto r = run(netcp(d) + " --raw-pipeline --bwlimit 1M " + q(tmp / "f") + " " + url(d, "f"));
    CHECK(r.status == 2);
    CHECK(r.output.find("--raw-pipeline") != std::string::npos);
    for (const char* good : {"0", "1.5G", "500K", "10MiB", "2M/s", "800"}) {
        CAPTURE(good);
        r = run(netcp(d) + " --bwlimit " + good + " " + q(tmp / "f") + " " + url(d, "f"));
        CHECK_MESSAGE(r.status == 0, r.output);
    }
    r = run("NETCP_BWLIMIT=5M " + netcp(d) + " " + q(tmp / "f") + " " + url(d, "f"));
    CHECK_MESSAGE(r.status == 0, r.output);
}
