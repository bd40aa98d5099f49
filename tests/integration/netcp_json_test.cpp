// netcp --json against diod: every line on stdout validates against the written schema
// (docs/netcp-json.schema.json, checked with python3-jsonschema), and the events say what
// happened, for a tree copied whole, a partial failure, a server that cannot be reached,
// and a usage error. stderr keeps the human messages.
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include <nlohmann/json.hpp>

#include "ninep_server.hpp"
#include "test_util.hpp"

using namespace testutil;
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

std::string q(const fs::path& p) { return shell_quote(p.string()); }

std::string url(const NinePServer& d, const std::string& path) {
    return "9p://127.0.0.1:" + std::to_string(d.port()) + "/" + path;
}

struct JsonRun {
    int status = -1;
    std::vector<json> events;
    std::string stdout_text, stderr_text;
};

// netcp --json ARGS with stdout and stderr apart; every stdout line validated.
JsonRun netcp_json(const TempDir& tmp, const std::string& args) {
    const auto out = tmp / "out.jsonl", err = tmp / "err.txt";
    JsonRun r;
    r.status = run("( env -u NETCP_AUTH " + shell_quote(NETCP_BINARY) + " --json " + args + " >" + q(out) + " 2>" +
                   q(err) + " )")
                   .status;
    std::ifstream o(out), e(err);
    std::stringstream so, se;
    so << o.rdbuf();
    se << e.rdbuf();
    r.stdout_text = so.str();
    r.stderr_text = se.str();
    auto v = run("python3 " + shell_quote(std::string(NETCP_SOURCE_DIR) + "/tests/support/validate_json_lines.py") + " " +
                 shell_quote(std::string(NETCP_SOURCE_DIR) + "/docs/netcp-json.schema.json") + " " + q(out));
    REQUIRE_MESSAGE(v.status != 2, v.output);
    CHECK_MESSAGE(v.status == 0, v.output << "\n" << r.stdout_text);
    std::istringstream lines(r.stdout_text);
    for (std::string line; std::getline(lines, line);) r.events.push_back(json::parse(line));
    return r;
}

std::vector<json> of(const JsonRun& r, const std::string& event) {
    std::vector<json> v;
    for (const auto& e : r.events)
        if (e["event"] == event) v.push_back(e);
    return v;
}

}  // namespace

TEST_CASE("--json: a tree copied whole, then downloaded: start, dirs, files, summary") {
    NinePServer d;
    TempDir tmp;
    fs::create_directories(tmp / "tree" / "sub");
    write_random_file(tmp / "tree" / "a.bin", 300'000, 1);
    write_random_file(tmp / "tree" / "sub" / "b.bin", 5, 2);
    auto up = netcp_json(tmp, "--aname " + shell_quote(d.aname()) + " -r " + q(tmp / "tree") + " " + url(d, ""));
    REQUIRE_MESSAGE(up.status == 0, up.stderr_text);
    REQUIRE(up.events.size() >= 2);
    CHECK(up.events.front()["event"] == "start");
    CHECK(up.events.front()["sources"] == json::array({(tmp / "tree").string()}));
    CHECK(up.events.back()["event"] == "summary");
    CHECK(up.events.back()["exit_code"] == 0);
    CHECK(up.events.back()["files"] == 2);
    CHECK(up.events.back()["dirs"] == 2);
    CHECK(up.events.back()["bytes"] == 300'005);
    CHECK(of(up, "dir").size() == 2);
    const auto starts = of(up, "file_start"), dones = of(up, "file_done");
    REQUIRE(starts.size() == 2);
    REQUIRE(dones.size() == 2);
    for (const auto& done : dones) {
        const bool big = done["from"].get<std::string>().ends_with("a.bin");
        CHECK(done["bytes"] == (big ? 300'000 : 5));
        CHECK(done["to"].get<std::string>().starts_with("9p://"));
    }
    CHECK(of(up, "error").empty());
    CHECK(up.stderr_text.empty());

    auto down = netcp_json(tmp, "--aname " + shell_quote(d.aname()) + " " + url(d, "tree/a.bin") + " " + q(tmp / "back"));
    REQUIRE_MESSAGE(down.status == 0, down.stderr_text);
    CHECK(sha256_file(tmp / "back") == sha256_file(tmp / "tree" / "a.bin"));
    REQUIRE(of(down, "file_start").size() == 1);
    CHECK(of(down, "file_start")[0]["size"] == 300'000);
}

TEST_CASE("--json: a partial failure names the file and ends with exit 5") {
    NinePServer d;
    TempDir tmp;
    write_random_file(tmp / "good", 1000, 3);
    fs::create_directories(d.export_dir() / "dest");
    auto r = netcp_json(tmp, "--aname " + shell_quote(d.aname()) + " " + q(tmp / "good") + " " + q(tmp / "missing") + " " +
                                 url(d, "dest/"));
    CHECK(r.status == 5);
    const auto errors = of(r, "error");
    REQUIRE(errors.size() == 1);
    CHECK(errors[0]["exit_code"] == 3);
    CHECK(errors[0]["message"].get<std::string>().find("missing") != std::string::npos);
    CHECK(of(r, "file_done").size() == 1);
    CHECK(r.events.back()["event"] == "summary");
    CHECK(r.events.back()["exit_code"] == 5);
    CHECK(r.events.back()["failed"] == 1);
    CHECK(r.stderr_text.find("missing") != std::string::npos);  // humans still read stderr
}

TEST_CASE("--json: no server and a usage error still end with a summary") {
    TempDir tmp;
    write_random_file(tmp / "f", 10, 4);
    // Port 1 on loopback: nothing listens (connection refused).
    auto down = netcp_json(tmp, "--aname x " + q(tmp / "f") + " 9p://127.0.0.1:1/f");
    CHECK(down.status == 4);
    REQUIRE_FALSE(of(down, "error").empty());
    CHECK(down.events.back()["exit_code"] == 4);

    auto usage = netcp_json(tmp, "--no-such-option a b");
    CHECK(usage.status == 2);
    REQUIRE(usage.events.size() == 2);
    CHECK(usage.events[0]["event"] == "error");
    CHECK(usage.events[1]["exit_code"] == 2);

    SUBCASE("a name that is not UTF-8 arrives as U+FFFD, the line still valid") {
        const std::string odd = std::string("bad-\xff-name");
        write_random_file(tmp / odd, 10, 5);
        auto r = netcp_json(tmp, "--aname x " + q(tmp / odd) + " 9p://127.0.0.1:1/x");
        CHECK(r.status == 4);
        CHECK(r.events.front()["sources"][0].get<std::string>().find("\xef\xbf\xbd") != std::string::npos);
    }
}

TEST_CASE("--json: a --bwlimit upload reports progress, its bytes never decreasing") {
    NinePServer d;
    TempDir tmp;
    const uint64_t size = 12u << 20;
    write_random_file(tmp / "big.bin", size, 6);
    // 12 MiB at 4 MiB/s: about three seconds, a progress event at most twice a second.
    auto r = netcp_json(tmp, "--aname " + shell_quote(d.aname()) + " --bwlimit 4M " + q(tmp / "big.bin") + " " +
                                 url(d, "big.bin"));
    REQUIRE_MESSAGE(r.status == 0, r.stderr_text);
    CHECK(sha256_file(d.export_dir() / "big.bin") == sha256_file(tmp / "big.bin"));
    const auto progress = of(r, "progress");
    CHECK_MESSAGE(progress.size() >= 3, r.stdout_text);
    uint64_t last = 0;
    int with_file = 0;
    for (const auto& p : progress) {
        CAPTURE(p.dump());
        const auto bytes = p["bytes"].get<uint64_t>();
        CHECK(bytes >= last);
        CHECK(bytes <= size);
        last = bytes;
        if (p.contains("total_files")) CHECK(p["total_files"] == 1);
        if (p.contains("file")) {
            ++with_file;
            CHECK(p.contains("total_files"));  // known once the file is being copied
            CHECK(p["file"] == (tmp / "big.bin").string());
            CHECK(p["file_size"] == size);
            CHECK(p["file_bytes"].get<uint64_t>() <= size);
        }
    }
    CHECK(with_file >= 3);
    // The summary is the last line, always (docs/json-output.md): no progress after it.
    CHECK(r.events.front()["event"] == "start");
    CHECK_MESSAGE(r.events.back()["event"] == "summary", "the last lines:\n"
                                                              << r.events[r.events.size() - 2].dump() << "\n"
                                                              << r.events.back().dump());
    CHECK(r.events.back()["bytes"] == size);
}

TEST_CASE("--json: --ignore-existing and --dry-run report skip events") {
    NinePServer d;
    TempDir tmp;
    write_file(tmp / "f.txt", std::string("new content\n"));
    write_file(d.export_dir() / "f.txt", std::string("old\n"));
    auto r = netcp_json(tmp, "--aname " + shell_quote(d.aname()) + " --ignore-existing " + q(tmp / "f.txt") + " " +
                                 url(d, "f.txt"));
    REQUIRE_MESSAGE(r.status == 0, r.stderr_text);
    auto skips = of(r, "skip");
    REQUIRE(skips.size() == 1);
    CHECK(skips[0]["reason"] == "exists");
    CHECK(skips[0]["from"] == (tmp / "f.txt").string());
    CHECK(skips[0]["to"] == url(d, "f.txt"));
    CHECK(skips[0]["size"] == 12);
    CHECK(of(r, "file_start").empty());
    CHECK(of(r, "file_done").empty());
    CHECK(r.events.back()["files"] == 0);
    CHECK(r.events.back()["exit_code"] == 0);
    CHECK(read_file(d.export_dir() / "f.txt").size() == 4);

    // A dry run of a tree into a missing directory: a skip per file, nothing made.
    fs::create_directories(tmp / "tree/sub");
    write_file(tmp / "tree/a", std::string("a"));
    write_file(tmp / "tree/sub/b", std::string("bb"));
    r = netcp_json(tmp, "--aname " + shell_quote(d.aname()) + " --dry-run -r " + q(tmp / "tree") + " " +
                            url(d, "tree"));
    REQUIRE_MESSAGE(r.status == 0, r.stderr_text);
    skips = of(r, "skip");
    REQUIRE(skips.size() == 2);
    std::map<std::string, json> by_to;
    for (const auto& k : skips) by_to[k["to"].get<std::string>()] = k;
    REQUIRE(by_to.count(url(d, "tree/a")) == 1);
    REQUIRE(by_to.count(url(d, "tree/sub/b")) == 1);
    CHECK(by_to[url(d, "tree/a")]["reason"] == "dry_run");
    CHECK(by_to[url(d, "tree/a")]["from"] == (tmp / "tree/a").string());
    CHECK(by_to[url(d, "tree/a")]["size"] == 1);
    CHECK(by_to[url(d, "tree/sub/b")]["reason"] == "dry_run");
    CHECK(by_to[url(d, "tree/sub/b")]["size"] == 2);
    CHECK(of(r, "dir").empty());
    CHECK(of(r, "file_done").empty());
    CHECK(r.events.back()["files"] == 0);
    CHECK(r.events.back()["dirs"] == 0);
    CHECK(!fs::exists(d.export_dir() / "tree"));

    // A dry run over an existing file, with --ignore-existing: exists wins.
    r = netcp_json(tmp, "--aname " + shell_quote(d.aname()) + " -n --ignore-existing " + q(tmp / "f.txt") + " " +
                            url(d, "f.txt"));
    REQUIRE_MESSAGE(r.status == 0, r.stderr_text);
    skips = of(r, "skip");
    REQUIRE(skips.size() == 1);
    CHECK(skips[0]["reason"] == "exists");
}

TEST_CASE("--version names the version and the commit netcp was built from") {
    auto v = run(shell_quote(NETCP_BINARY) + " --version");
    CHECK(v.status == 0);
    auto git = run("git -C " + shell_quote(NETCP_SOURCE_DIR) + " describe --always --dirty --abbrev=12 2>/dev/null");
    std::string commit = git.status == 0 ? git.output : "unknown\n";
    while (!commit.empty() && commit.back() == '\n') commit.pop_back();
    // A tree edited since the build says -dirty now but was built clean, or the reverse:
    // compare the commit itself.
    auto base = [](std::string s) { return s.substr(0, s.find("-dirty")); };
    const std::string expected_prefix = "netcp " + std::string(NETCP_VERSION_FOR_TEST) + " (";
    REQUIRE_MESSAGE(v.output.rfind(expected_prefix, 0) == 0, v.output);
    const std::string shown = v.output.substr(expected_prefix.size(), v.output.find(')') - expected_prefix.size());
    CHECK(base(shown) == base(commit));
}
