// The netcp command against a real diod: files and trees both ways, cp -r rules, error
// messages and exit codes, a server killed mid-transfer, and SIGINT.
#include <doctest/doctest.h>

#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>

#include "ninep_server.hpp"
#include "tcp_relay.hpp"
#include "test_util.hpp"

using namespace testutil;
namespace fs = std::filesystem;

namespace {

struct Netcp {
    const NinePServer& d;
    std::string url(const std::string& path) const {
        return "9p://127.0.0.1:" + std::to_string(d.port()) + "/" + path;
    }
    CommandResult operator()(const std::string& args) const {
        return run(shell_quote(NETCP_BINARY) + " --aname " + shell_quote(d.aname()) + " " + args);
    }
    // netcp run as `uid` (NinePServer::as_uid).
    CommandResult as(uint32_t uid, const std::string& args) const {
        auto a = d.as_uid(uid);
        return run(a.prefix + shell_quote(NETCP_BINARY) + " --aname " + shell_quote(d.aname()) + " " + a.args + args);
    }
};

std::string q(const fs::path& p) { return shell_quote(p.string()); }

// Everything in a tree: relative path -> a description of type and content.
std::map<std::string, std::string> snapshot(const fs::path& root) {
    std::map<std::string, std::string> out;
    for (auto it = fs::recursive_directory_iterator(root); it != fs::recursive_directory_iterator(); ++it) {
        const auto rel = fs::relative(it->path(), root).string();
        const auto st = it->symlink_status();
        if (fs::is_symlink(st)) out[rel] = "link:" + fs::read_symlink(it->path()).string();
        else if (fs::is_directory(st)) out[rel] = "dir";
        else if (fs::is_fifo(st)) out[rel] = "fifo";
        else out[rel] = "file:" + sha256_file(it->path());
    }
    return out;
}

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

}  // namespace

TEST_CASE("a 256 MiB random file uploads and downloads with identical SHA-256") {
    NinePServer d;
    Netcp netcp{d};
    TempDir local;
    write_random_file(local / "big.bin", 256ull << 20, 2024);
    const auto sum = sha256_file(local / "big.bin");

    auto up = netcp(q(local / "big.bin") + " " + netcp.url("big.bin"));
    REQUIRE_MESSAGE(up.status == 0, up.output);
    CHECK(sha256_file(d.export_dir() / "big.bin") == sum);

    auto down = netcp(netcp.url("big.bin") + " " + q(local / "back.bin"));
    REQUIRE_MESSAGE(down.status == 0, down.output);
    CHECK(sha256_file(local / "back.bin") == sum);
    CHECK(partial_files(local.path()).empty());
    CHECK(partial_files(d.export_dir()).empty());
}

TEST_CASE("over a unix socket, over IPv6, and into an existing directory") {
    NinePServer d;
    Netcp netcp{d};
    TempDir local;
    write_file(local / "f.txt", std::string("via unix socket\n"));
    fs::create_directory(d.export_dir() / "dir");

    CommandResult r;
    if (d.has_unix_socket()) {
        r = run(shell_quote(NETCP_BINARY) + " --unix-socket " + shell_quote(d.socket_path()) + " --aname " +
                shell_quote(d.aname()) + " " + q(local / "f.txt") + " 9p://localhost/dir");
    } else {
        // ganesha listens on TCP only.
        r = netcp(q(local / "f.txt") + " " + netcp.url("dir"));
    }
    REQUIRE_MESSAGE(r.status == 0, r.output);
    CHECK(read_file(d.export_dir() / "dir/f.txt") == read_file(local / "f.txt"));

    TcpRelay relay("::1", "127.0.0.1", d.port());
    r = netcp("9p://[::1]:" + std::to_string(relay.port()) + "/dir/f.txt " + q(local / "v6.txt"));
    REQUIRE_MESSAGE(r.status == 0, r.output);
    CHECK(read_file(local / "v6.txt") == read_file(local / "f.txt"));

    // NETCP_ANAME stands in for --aname.
    r = run("NETCP_ANAME=" + shell_quote(d.aname()) + " " + shell_quote(NETCP_BINARY) + " " + q(local / "f.txt") +
            " " + netcp.url("env.txt"));
    REQUIRE_MESSAGE(r.status == 0, r.output);
    CHECK(fs::exists(d.export_dir() / "env.txt"));
}

TEST_CASE("trees round-trip with empty files, empty directories, symlinks and FIFOs") {
    NinePServer d;
    Netcp netcp{d};
    TempDir local;
    const fs::path src = local / "tree";
    fs::create_directories(src / "sub/empty_dir");
    fs::create_directories(src / "sub/deeper/still");
    write_file(src / "a.txt", std::string("alpha\n"));
    write_file(src / "empty", std::string());
    write_file(src / "sub/deeper/still/data.bin", random_bytes(1'000'003, 5));
    fs::create_symlink("a.txt", src / "link");
    fs::create_symlink("../missing", src / "sub/dangling");
    REQUIRE(::mkfifo((src / "fifo").c_str(), 0644) == 0);
    const auto want = snapshot(src);

    auto up = netcp("-r " + q(src) + " " + netcp.url(""));
    REQUIRE_MESSAGE(up.status == 0, up.output);
    CHECK(snapshot(d.export_dir() / "tree") == want);

    auto down = netcp("-r " + netcp.url("tree") + " " + q(local / "copy"));
    REQUIRE_MESSAGE(down.status == 0, down.output);
    CHECK(snapshot(local / "copy") == want);
    CHECK(partial_files(local.path()).empty());

    SUBCASE("copying again into the existing directory nests it, as cp -r does") {
        auto again = netcp("-r " + q(src) + " " + netcp.url("tree"));
        REQUIRE_MESSAGE(again.status == 0, again.output);
        CHECK(snapshot(d.export_dir() / "tree/tree") == want);
    }
    SUBCASE("-T merges into the named directory instead") {
        write_file(src / "a.txt", std::string("changed\n"));
        auto again = netcp("-r -T " + q(src) + " " + netcp.url("tree"));
        REQUIRE_MESSAGE(again.status == 0, again.output);
        CHECK(!fs::exists(d.export_dir() / "tree/tree"));
        CHECK(snapshot(d.export_dir() / "tree") == snapshot(src));
    }
    SUBCASE("-p keeps modification times") {
        fs::last_write_time(src / "a.txt", fs::file_time_type::clock::now() - std::chrono::hours(48));
        auto p = netcp("-p " + q(src / "a.txt") + " " + netcp.url("timed.txt"));
        REQUIRE_MESSAGE(p.status == 0, p.output);
        CHECK(fs::last_write_time(d.export_dir() / "timed.txt") == fs::last_write_time(src / "a.txt"));
    }
}

TEST_CASE("1,000 small files") {
    NinePServer d;
    Netcp netcp{d};
    TempDir local;
    fs::create_directories(local / "many");
    for (int i = 0; i < 1000; ++i)
        write_file(local / "many" / ("f" + std::to_string(i)), "file number " + std::to_string(i) + "\n");
    const auto want = snapshot(local / "many");
    auto up = netcp("-r " + q(local / "many") + " " + netcp.url("many"));
    REQUIRE_MESSAGE(up.status == 0, up.output);
    CHECK(snapshot(d.export_dir() / "many") == want);
    auto down = netcp("-r " + netcp.url("many") + " " + q(local / "back"));
    REQUIRE_MESSAGE(down.status == 0, down.output);
    CHECK(snapshot(local / "back") == want);
}

TEST_CASE("several sources into a directory, and an upload replacing a file") {
    NinePServer d;
    Netcp netcp{d};
    TempDir local;
    write_file(local / "one", std::string("1"));
    write_file(local / "two", std::string("2"));
    fs::create_directory(d.export_dir() / "into");
    auto r = netcp(q(local / "one") + " " + q(local / "two") + " " + netcp.url("into"));
    REQUIRE_MESSAGE(r.status == 0, r.output);
    CHECK(fs::exists(d.export_dir() / "into/one"));
    CHECK(fs::exists(d.export_dir() / "into/two"));

    write_file(d.export_dir() / "into/one", std::string("old contents, longer than the new"));
    r = netcp(q(local / "one") + " " + netcp.url("into/one"));
    REQUIRE_MESSAGE(r.status == 0, r.output);
    CHECK(read_file(d.export_dir() / "into/one") == read_file(local / "one"));

    r = netcp(q(local / "one") + " " + q(local / "two") + " " + netcp.url("not-a-dir"));
    CHECK(r.status == 3);
    CHECK(r.output.find("is not a directory") != std::string::npos);
}

TEST_CASE("failures exit non-zero and name the file and the cause") {
    NinePServer d;
    Netcp netcp{d};
    TempDir local;
    write_file(local / "f", std::string("x"));
    fs::create_directory(local / "dir");

    auto r = netcp(q(local / "missing") + " " + netcp.url("x"));
    CHECK(r.status == 3);
    CHECK(r.output.find("missing': No such file or directory") != std::string::npos);

    r = netcp(q(local / "f") + " " + netcp.url("no/such/dir/f"));
    CHECK(r.status == 3);
    CHECK(r.output.find("no/such/dir/f: No such file or directory") != std::string::npos);

    r = netcp(netcp.url("absent") + " " + q(local / "absent"));
    CHECK(r.status == 3);

    r = netcp(q(local / "dir") + " " + netcp.url("d"));
    CHECK(r.status == 2);
    CHECK(r.output.find("-r not specified; omitting directory") != std::string::npos);

    r = netcp(q(local / "f") + " " + netcp.url("newdir/"));
    CHECK(r.status != 0);
    CHECK(r.output.find("Not a directory") != std::string::npos);

    r = run(shell_quote(NETCP_BINARY) + " --aname /not/exported " + q(local / "f") + " " + netcp.url("f"));
    CHECK(r.status == 4);
    // With MUNGE, diod's EPERM may mean the credential or the export: the message names both.
    CHECK(r.output.find(d.kind() == ServerKind::diod_munge ? "or the export '/not/exported'"
                                                           : "cannot attach to export '/not/exported'") !=
          std::string::npos);

    r = run(shell_quote(NETCP_BINARY) + " --aname x " + q(local / "f") + " 9p://127.0.0.1:1/f");
    CHECK(r.status == 4);
    CHECK(r.output.find("Connection refused") != std::string::npos);

    r = netcp("--bogus " + q(local / "f") + " " + netcp.url("f"));
    CHECK(r.status == 2);

    if (getuid() == 0) {  // the server runs file operations as the attaching uid
        fs::create_directory(d.export_dir() / "rootonly");
        fs::permissions(local.path(), fs::perms(0755));  // netcp as 65534 reads f (MUNGE)
        r = netcp.as(65534, q(local / "f") + " " + netcp.url("rootonly/f"));
        CHECK(r.status == 1);
        CHECK(r.output.find("Permission denied") != std::string::npos);
        CHECK(r.output.find("rootonly") != std::string::npos);
    }

    r = run(shell_quote(NETCP_BINARY) + " --help");
    CHECK(r.status == 0);
    CHECK(r.output.find("Examples:") != std::string::npos);
    CHECK(r.output.find("--unix-socket") != std::string::npos);
}

TEST_CASE("a tree where one file fails copies the rest and exits 5") {
    NinePServer d;
    Netcp netcp{d};
    TempDir local;
    fs::create_directories(local / "t/blocked");
    write_file(local / "t/ok", std::string("ok"));
    write_file(local / "t/blocked/secret", std::string("no"));
    if (getuid() == 0) {
        // As root the local side reads everything: make the server refuse one directory
        // instead, by attaching as an unprivileged uid that may write only in t/.
        fs::create_directories(d.export_dir() / "t/blocked");
        fs::permissions(d.export_dir() / "t", fs::perms::all);
        fs::permissions(d.export_dir() / "t/blocked", fs::perms(0755));
        fs::permissions(local.path(), fs::perms(0755));  // netcp as 65534 reads t (MUNGE)
    } else {
        fs::permissions(local / "t/blocked/secret", fs::perms::none);
    }
    auto r = getuid() == 0 ? netcp.as(65534, "-r -T " + q(local / "t") + " " + netcp.url("t"))
                           : netcp("-r -T " + q(local / "t") + " " + netcp.url("t"));
    CHECK(r.status == 5);
    CHECK(r.output.find("blocked/secret") != std::string::npos);
    CHECK(read_file(d.export_dir() / "t/ok") == read_file(local / "t/ok"));
    CHECK(!fs::exists(d.export_dir() / "t/blocked/secret"));
    CHECK(partial_files(d.export_dir()).empty());
}

TEST_CASE("a server killed mid-upload: exit non-zero, no destination") {
    NinePServer d;
    TempDir local;
    // Sparse: big enough to still be in flight when the server dies, cheap to make.
    { std::ofstream(local / "huge").close(); }
    fs::resize_file(local / "huge", 4ull << 30);
    int pid = spawn({NETCP_BINARY, "--aname", d.aname(), (local / "huge").string(),
                     "9p://127.0.0.1:" + std::to_string(d.port()) + "/huge"},
                    local / "log");
    REQUIRE(wait_until([&] { return partial_size(d.export_dir()) > (16u << 20); }, 30));
    d.kill_now();
    int status = wait_exit_within(pid, 120);
    auto log = read_file(local / "log");
    std::string out(reinterpret_cast<const char*>(log.data()), log.size());
    CHECK(status == 4);
    CHECK(out.find("huge") != std::string::npos);
    CHECK(out.find("server closed the connection") != std::string::npos);
    CHECK(!fs::exists(d.export_dir() / "huge"));
}

TEST_CASE("a server killed mid-download with --no-resume: exit non-zero, no destination, no partial file") {
    NinePServer d;
    TempDir local;
    { std::ofstream(d.export_dir() / "huge").close(); }
    fs::resize_file(d.export_dir() / "huge", 4ull << 30);
    int pid = spawn({NETCP_BINARY, "--no-resume", "--aname", d.aname(),
                     "9p://127.0.0.1:" + std::to_string(d.port()) + "/huge", (local / "huge").string()},
                    local / "log");
    REQUIRE(wait_until([&] { return partial_size(local.path()) > (16u << 20); }, 30));
    d.kill_now();
    int status = wait_exit_within(pid, 120);
    CHECK(status == 4);
    CHECK(!fs::exists(local / "huge"));
    CHECK(partial_files(local.path()).empty());
}

TEST_CASE("SIGINT drains and exits 130, keeping the partial upload to resume (removing it with --no-resume)") {
    for (const bool resume : {true, false}) {
        CAPTURE(resume);
        NinePServer d;
        TempDir local;
        { std::ofstream(local / "huge").close(); }
        fs::resize_file(local / "huge", 4ull << 30);
        std::vector<std::string> args = {NETCP_BINARY, "--aname", d.aname(), (local / "huge").string(),
                                         "9p://127.0.0.1:" + std::to_string(d.port()) + "/huge"};
        if (!resume) args.insert(args.begin() + 1, "--no-resume");
        int pid = spawn(args, local / "log");
        REQUIRE(wait_until([&] { return partial_size(d.export_dir()) > (16u << 20); }, 30));
        ::kill(pid, SIGINT);
        CHECK(wait_exit_within(pid, 120) == 130);
        CHECK(!fs::exists(d.export_dir() / "huge"));
        const auto log = read_file(local / "log");
        const std::string out(reinterpret_cast<const char*>(log.data()), log.size());
        if (resume) {
            CHECK(partial_files(d.export_dir()).size() == 1);
            CHECK_MESSAGE(out.find("the same command continues") != std::string::npos, out);
        } else {
            CHECK(partial_files(d.export_dir()).empty());
            CHECK_MESSAGE(out.find("partial files were removed") != std::string::npos, out);
        }
    }
}

TEST_CASE("a symbolic link in the local destination tree cannot redirect a download") {
    NinePServer d;
    Netcp netcp{d};
    TempDir local, outside;
    fs::create_directories(d.export_dir() / "t/sub");
    write_file(d.export_dir() / "t/sub/file", std::string("from the server"));
    write_file(d.export_dir() / "t/top", std::string("top from the server"));
    write_file(outside / "victim", std::string("must stay"));
    // The destination already holds t/, with a link to a directory outside where the
    // server's t/sub is, and a link to a file outside where the server's t/top is.
    fs::create_directories(local / "dest/t");
    fs::create_directory_symlink(outside.path(), local / "dest/t/sub");
    fs::create_symlink(outside / "victim", local / "dest/t/top");
    const auto before = snapshot(outside.path());

    auto r = netcp("-r " + netcp.url("t") + " " + q(local / "dest"));
    CHECK_MESSAGE(r.status == 5, r.output);
    CHECK(r.output.find("dest/t/sub") != std::string::npos);
    CHECK(snapshot(outside.path()) == before);  // nothing written, created or replaced there
    // The file link was replaced by the file itself, not written through.
    CHECK(!fs::is_symlink(local / "dest/t/top"));
    CHECK(read_file(local / "dest/t/top") == read_file(d.export_dir() / "t/top"));
    CHECK(partial_files(local.path()).empty());
    CHECK(partial_files(outside.path()).empty());
}

TEST_CASE("a --timeout below one millisecond is a timeout, not forever") {
    NinePServer d;
    Netcp netcp{d};
    TempDir local;
    write_file(d.export_dir() / "f", std::string("data"));
    d.pause();  // nothing is answered
    const auto start = std::chrono::steady_clock::now();
    auto r = run("timeout 60 " + shell_quote(NETCP_BINARY) + " --aname " + shell_quote(d.aname()) +
                 " --timeout 0.0004 " + netcp.url("f") + " " + q(local / "f"));
    const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    d.resume();
    CHECK_MESSAGE(r.status == 7, r.output);
    CHECK(secs < 20);
    CHECK(!fs::exists(local / "f"));
}

TEST_CASE("'-' uploads standard input and downloads to standard output, and refuses what cannot be") {
    NinePServer d;
    TempDir tmp;
    Netcp netcp{d};
    // Its temporary files go to a directory of the test's own, which must end empty.
    fs::create_directories(tmp / "spool");
    const std::string bin =
        "TMPDIR=" + q(tmp / "spool") + " " + shell_quote(NETCP_BINARY) + " --aname " + shell_quote(d.aname());
    write_random_file(tmp / "src", 5'000'001, 21);
    const std::string sum = sha256_file(tmp / "src");
    // From a pipe (spooled), and from a file redirected in (read in place).
    auto r = run("cat " + q(tmp / "src") + " | " + bin + " - " + netcp.url("piped"));
    REQUIRE_MESSAGE(r.status == 0, r.output);
    CHECK(sha256_file(d.export_dir() / "piped") == sum);
    r = run(bin + " - " + netcp.url("redirected") + " < " + q(tmp / "src"));
    REQUIRE_MESSAGE(r.status == 0, r.output);
    CHECK(sha256_file(d.export_dir() / "redirected") == sum);
    // An empty stream is an empty file; the mode is a new file's (0666 less the umask).
    r = run(bin + " - " + netcp.url("empty") + " < /dev/null");
    REQUIRE_MESSAGE(r.status == 0, r.output);
    CHECK(fs::file_size(d.export_dir() / "empty") == 0);
    CHECK((fs::status(d.export_dir() / "empty").permissions() & fs::perms::owner_write) != fs::perms::none);
    // Down to standard output: exactly the file, into a pipe and into a file.
    r = run("( " + bin + " " + netcp.url("piped") + " - | sha256sum )");
    REQUIRE_MESSAGE(r.status == 0, r.output);
    CHECK(r.output.substr(0, 64) == sum);
    r = run("( " + bin + " " + netcp.url("piped") + " - > " + q(tmp / "out") + " )");
    REQUIRE_MESSAGE(r.status == 0, r.output);
    CHECK(sha256_file(tmp / "out") == sum);
    // A reader that goes away: an error, not success.
    r = run("bash -c " + shell_quote(bin + " " + netcp.url("piped") + " - | head -c 10 >/dev/null; exit ${PIPESTATUS[0]}"));
    CHECK(r.status == 1);
    // Refused: into a directory (a stream has no name), with others, with -r, with --json.
    fs::create_directories(d.export_dir() / "dir");
    r = run("echo x | " + bin + " - " + netcp.url("dir"));
    CHECK(r.status == 2);
    CHECK_MESSAGE(r.output.find("standard input has no name") != std::string::npos, r.output);
    r = run("echo x | " + bin + " - " + q(tmp / "src") + " " + netcp.url("dir"));
    CHECK(r.status == 2);
    r = run(bin + " -r " + netcp.url("dir") + " -");
    CHECK(r.status == 2);
    r = run(bin + " --json " + netcp.url("piped") + " -");
    CHECK(r.status == 2);
    r = run(bin + " " + netcp.url("dir") + " -");
    CHECK(r.status == 2);
    r = run(bin + " " + netcp.url("missing") + " -");
    CHECK(r.status == 3);
    // A local file called '-' is still reachable as ./-.
    write_file(tmp / "-", std::string("dash"));
    r = run("cd " + q(tmp.path()) + " && " + bin + " ./- " + netcp.url("dash"));
    REQUIRE_MESSAGE(r.status == 0, r.output);
    CHECK(fs::file_size(d.export_dir() / "dash") == 4);
    // Nothing left in $TMPDIR.
    CHECK(fs::is_empty(tmp / "spool"));
}

TEST_CASE("--transfers: a tree of 2,000 files both ways one at a time and 8 at once, identical, with -p times") {
    NinePServer d;
    Netcp netcp{d};
    TempDir local;
    // 20 directories of 100 files of 0 to 3 KiB (some empty), and one larger file among them.
    for (int i = 0; i < 2000; ++i) {
        const auto dir = local / "tree" / ("d" + std::to_string(i / 100));
        fs::create_directories(dir);
        write_random_file(dir / ("f" + std::to_string(i)), static_cast<uint64_t>((i * 7919) % 3073), 100 + i);
    }
    write_random_file(local / "tree" / "d3" / "big", 9u << 20, 9);
    // Directory times to keep with -p (set after the files, which changed them).
    for (int k = 0; k < 20; ++k)
        fs::last_write_time(local / "tree" / ("d" + std::to_string(k)),
                            fs::file_time_type::clock::now() - std::chrono::hours(24 * (k + 1)));
    const auto want = snapshot(local / "tree");
    for (int t : {1, 8}) {
        CAPTURE(t);
        const std::string up_name = "up" + std::to_string(t);
        auto up = netcp("-r -p --stats --transfers " + std::to_string(t) + " " + q(local / "tree") + " " +
                        netcp.url(up_name));
        REQUIRE_MESSAGE(up.status == 0, up.output);
        CHECK(snapshot(d.export_dir() / up_name) == want);
        for (int k = 0; k < 20; ++k) {
            const std::string sub = "d" + std::to_string(k);
            CHECK(fs::last_write_time(d.export_dir() / up_name / sub) == fs::last_write_time(local / "tree" / sub));
        }
        const auto back = local / ("back" + std::to_string(t));
        auto down = netcp("-r -p --transfers " + std::to_string(t) + " " + netcp.url(up_name) + " " + q(back));
        REQUIRE_MESSAGE(down.status == 0, down.output);
        CHECK(snapshot(back) == want);
        for (int k = 0; k < 20; ++k) {
            const std::string sub = "d" + std::to_string(k);
            CHECK(fs::last_write_time(back / sub) == fs::last_write_time(local / "tree" / sub));
        }
        CHECK(partial_files(d.export_dir()).empty());
        CHECK(partial_files(back).empty());
    }
}

TEST_CASE("--transfers: files that fail in parallel are each reported, the rest copied, exit 5") {
    NinePServer d;
    Netcp netcp{d};
    TempDir local;
    fs::create_directories(local / "tree");
    for (int i = 0; i < 200; ++i) write_file(local / "tree" / ("f" + std::to_string(i)), std::to_string(i));
    // On the server, ten of the names are directories already: those files cannot replace them.
    fs::create_directories(d.export_dir() / "tree");
    for (int i = 0; i < 200; i += 20) fs::create_directories(d.export_dir() / "tree" / ("f" + std::to_string(i)) / "x");
    auto up = netcp("-r --transfers 8 " + q(local / "tree") + " " + netcp.url(""));
    CHECK(up.status == 5);
    int reported = 0;
    for (size_t at = 0; (at = up.output.find("cannot overwrite directory", at)) != std::string::npos; ++at) ++reported;
    CHECK_MESSAGE(reported == 10, up.output);
    for (int i = 0; i < 200; ++i) {
        const auto p = d.export_dir() / "tree" / ("f" + std::to_string(i));
        if (i % 20 == 0) CHECK(fs::is_directory(p));
        else CHECK(read_file(p).size() == std::to_string(i).size());
    }
}
