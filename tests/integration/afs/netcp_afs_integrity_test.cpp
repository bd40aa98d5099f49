// netcp against the real OpenAFS cell when the cell does not hold still: a file truncated
// or rewritten by another client during a download, a mount point whose volume is gone in
// a tree copied with -r, and a fileserver that stops answering mid-call (SIGSTOP). Each
// must end in an exact copy or the documented exit code, never in a wrong file.
#include <doctest/doctest.h>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
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
constexpr uint64_t file_size = 64u << 20;  // sanitizers are several times slower
#else
constexpr uint64_t file_size = 256u << 20;
#endif

std::string url(const std::string& afs_path) { return "afs://" + afs_path.substr(std::string("/afs/").size()); }

std::vector<std::string> netcp_argv(const AfsCell& cell, std::vector<std::string> args) {
    std::vector<std::string> argv = {NETCP_BINARY, "--vlserver", cell["AFS_VLSERVER"]};
    argv.insert(argv.end(), args.begin(), args.end());
    return argv;
}

testutil::CommandResult netcp(const AfsCell& cell, const std::string& args) {
    return testutil::run("timeout 300 " + std::string(NETCP_BINARY) + " --vlserver " +
                         testutil::shell_quote(cell["AFS_VLSERVER"]) + " " + args + " 2>&1");
}

std::string text_of(const fs::path& p) {
    auto b = testutil::read_file(p);
    return std::string(reinterpret_cast<const char*>(b.data()), b.size());
}

// The size of netcp's local partial file in `dir`, or 0.
uint64_t partial_size(const fs::path& dir) {
    std::error_code ec;
    for (auto& e : fs::directory_iterator(dir, ec))
        if (e.path().filename().string().find(".partial") != std::string::npos) {
            auto n = fs::file_size(e.path(), ec);
            return ec ? 0 : n;
        }
    return 0;
}

bool any_partial(const fs::path& dir) {
    for (auto& e : fs::recursive_directory_iterator(dir))
        if (e.path().filename().string().find(".netcp-") != std::string::npos) return true;
    return false;
}

// True until the child exits (a stopped child is still running); does not reap it.
bool still_running(int pid) {
    siginfo_t info{};
    return ::waitid(P_PID, static_cast<id_t>(pid), &info, WEXITED | WNOHANG | WNOWAIT) == 0 && info.si_pid == 0;
}

// Waits until netcp's local partial file holds at least `bytes`: the download is under
// way, with most of the file still to fetch. False if netcp ended first.
bool download_under_way(int pid, const fs::path& dir, uint64_t bytes) {
    bool going = false;
    testutil::wait_until(
        [&] {
            if (!still_running(pid)) return true;
            going = partial_size(dir) >= bytes;
            return going;
        },
        120);
    return going && still_running(pid);
}

// Resumes a stopped process on every way out of a test (a stopped fileserver would fail
// every later AFS test).
struct Resume {
    int pid;
    ~Resume() { ::kill(pid, SIGCONT); }
};

std::vector<std::string> afs_names(afs::client::BlockingClient& client, const std::string& dir) {
    std::vector<std::string> names;
    auto node = client.resolve(anonymous(), dir);
    if (!node) return names;
    auto d = client.read_directory(anonymous(), node->ref);
    if (!d) return names;
    for (const auto& e : d->directory->entries()) names.push_back(e.name);
    return names;
}

double seconds_since(std::chrono::steady_clock::time_point t0) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

}  // namespace

TEST_CASE("a file truncated or rewritten by another client during a download: exit 1, nothing left behind") {
    const auto& cell = AfsCell::get();
    auto client = cell.client();
    testutil::TempDir tmp("netcp-afs-changed");
    testutil::write_random_file(tmp / "src", file_size, 71);
    const auto other = testutil::random_bytes(1 << 20, 72);

    for (const std::string change : {"truncate", "rewrite"}) {
        for (const bool cache : {false, true}) {
            CAPTURE(change);
            CAPTURE(cache);
            const std::string remote = cell.anon_rw_dir + "/" + AfsCell::unique_name("changing");
            auto up = netcp(cell, (tmp / "src").string() + " " + url(remote));
            REQUIRE_MESSAGE(up.status == 0, up.output);
            auto node = client->resolve(anonymous(), remote);
            REQUIRE_MESSAGE(node, node.error().message());

            const auto dl = tmp / "dl";
            fs::create_directories(dl);
            const std::string cache_arg = cache ? "--cache " + (tmp / "cache").string() + " " : "";
            std::vector<std::string> args;
            if (cache) args = {"--cache", (tmp / "cache").string()};
            args.insert(args.end(), {url(remote), (dl / "copy").string()});
            const int pid = testutil::spawn(netcp_argv(cell, args), tmp / "log");
            if (!download_under_way(pid, dl, 1 << 20)) {
                testutil::wait_exit_within(pid, 60);
                FAIL("the download ended before it could be stopped halfway: " << text_of(tmp / "log"));
            }
            // Another client changes the file while most of it is still to be fetched. (netcp
            // is not stopped meanwhile: the fileserver first breaks netcp's callback on the
            // file, and waits for a stopped client until its own calls to it are dead.)
            {
                if (change == "truncate") {
                    auto t = client->truncate(anonymous(), node->ref, file_size / 2);
                    REQUIRE_MESSAGE(t, t.error().message());
                } else {
                    // The same length, other bytes near the end: only the data version says so.
                    afs::client::StoreParams sp;
                    sp.position = file_size - other.size();
                    sp.file_length = file_size;
                    auto w = client->store_data(anonymous(), node->ref, sp, other);
                    REQUIRE_MESSAGE(w, w.error().message());
                    REQUIRE(w->status.length() == file_size);
                }
            }
            const int status = testutil::wait_exit_within(pid, 120);
            const std::string out = text_of(tmp / "log");
            INFO(out);
            CHECK(status == 1);
            CHECK(out.find("changed on the server during the download") != std::string::npos);
            CHECK(out.find("data version") != std::string::npos);
            CHECK(!fs::exists(dl / "copy"));
            CHECK(!any_partial(dl));

            // The next download is the file as it is now, exactly (not from a stale cache).
            auto again = netcp(cell, cache_arg + url(remote) + " " + (dl / "copy").string());
            REQUIRE_MESSAGE(again.status == 0, again.output);
            auto now = client->read_file(anonymous(), remote, file_size);
            REQUIRE_MESSAGE(now, now.error().message());
            CHECK(testutil::sha256_file(dl / "copy") == testutil::sha256_hex(*now));
            fs::remove_all(dl);
            (void)client->remove_file(anonymous(), remote);
        }
    }
}

TEST_CASE("a mount point whose volume is gone, met during -r: named with its volume, counted as failed, exit 5") {
    const auto& cell = AfsCell::get();
    testutil::TempDir tmp("netcp-afs-dangling");
    fs::create_directories(tmp / "tree" / "sub");
    testutil::write_file(tmp / "tree" / "a.txt", std::string("first file\n"));
    testutil::write_file(tmp / "tree" / "sub" / "b.txt", std::string("second file\n"));
    const std::string remote = cell.anon_rw_dir + "/" + AfsCell::unique_name("dangling");
    auto up = netcp(cell, "-r " + (tmp / "tree").string() + " " + url(remote));
    REQUIRE_MESSAGE(up.status == 0, up.output);
    // What `fs mkmount` makes for a volume that no longer exists (or never did).
    const std::string volume = "gone-" + std::to_string(::getpid());
    auto mount = testutil::run(testutil::shell_quote(cell["AFS_HELPER"]) + " mount " +
                               testutil::shell_quote(remote + "/lost") + " " + volume + " 2>&1");
    REQUIRE_MESSAGE(mount.status == 0, mount.output);

    auto down = netcp(cell, "-r " + url(remote) + " " + (tmp / "back").string());
    INFO(down.output);
    CHECK(down.status == 5);
    CHECK(down.output.find("lost") != std::string::npos);
    CHECK(down.output.find("mount point") != std::string::npos);
    CHECK(down.output.find(volume) != std::string::npos);
    // Everything else was copied.
    CHECK(text_of(tmp / "back" / "a.txt") == "first file\n");
    CHECK(text_of(tmp / "back" / "sub" / "b.txt") == "second file\n");
    CHECK(!fs::exists(tmp / "back" / "lost"));

    // As the source itself: it does not exist as far as a copy is concerned (exit 3), and
    // the message still says why.
    auto top = netcp(cell, url(remote + "/lost") + " " + (tmp / "top").string());
    CHECK_MESSAGE(top.status == 3, top.output);
    CHECK_MESSAGE(top.output.find(volume) != std::string::npos, top.output);
}

TEST_CASE("a fileserver that stops answering mid-call, with --timeout 2: exit 7 within seconds, both ways") {
    const auto& cell = AfsCell::get();
    const int fileserver = std::stoi(cell["AFS_FILESERVER_PID"]);
    auto client = cell.client();
    testutil::TempDir tmp("netcp-afs-stopped");
    testutil::write_random_file(tmp / "src", file_size, 73);
    const std::string remote = cell.anon_rw_dir + "/" + AfsCell::unique_name("stopped");
    auto up = netcp(cell, (tmp / "src").string() + " " + url(remote));
    REQUIRE_MESSAGE(up.status == 0, up.output);

    // The upload first: after a download that ended in a timeout the fileserver may still
    // be breaking callbacks to that (gone) netcp, which delays a CreateFile by seconds.
    for (const bool upload : {true, false}) {
        CAPTURE(upload);
        const auto dl = tmp / "dl";
        fs::create_directories(dl);
        const std::string target = cell.anon_rw_dir + "/" + AfsCell::unique_name("stopped-up");
        const auto argv = upload ? netcp_argv(cell, {"--timeout", "2", (tmp / "src").string(), url(target)})
                                 : netcp_argv(cell, {"--timeout", "2", url(remote), (dl / "copy").string()});
        const auto t0 = std::chrono::steady_clock::now();
        const int pid = testutil::spawn(argv, tmp / "log");
        bool going;
        if (upload) {
            // Under way once some of it has been stored under the temporary name.
            auto parent = client->resolve(anonymous(), cell.anon_rw_dir);
            REQUIRE(parent);
            going = testutil::wait_until(
                [&] {
                    if (!still_running(pid)) return true;
                    auto d = client->read_directory(anonymous(), parent->ref);
                    if (!d) return false;
                    for (const auto& e : d->directory->entries())
                        if (e.name.find(".netcp-") != std::string::npos) {
                            auto f = client->fetch_status(anonymous(), {parent->ref.cell, {parent->ref.fid.volume, e.vnode, e.unique}});
                            if (f && f->status.length() > 0) return true;
                        }
                    return false;
                },
                120) &&
                    still_running(pid);
        } else {
            going = download_under_way(pid, dl, 1 << 20);
        }
        if (!going) {
            testutil::wait_exit_within(pid, 60);
            FAIL("the copy ended before the fileserver could be stopped: " << text_of(tmp / "log"));
        }
        ::kill(fileserver, SIGSTOP);
        const auto stopped = std::chrono::steady_clock::now();
        int status;
        {
            Resume resume{fileserver};
            status = testutil::wait_exit_within(pid, 60);
        }
        const double secs = seconds_since(stopped);
        const std::string out = text_of(tmp / "log");
        INFO(out);
        MESSAGE(std::string(upload ? "upload" : "download") << ": exit " << status << " " << secs << " s after the fileserver stopped ("
                                                 << seconds_since(t0) << " s in all)");
        CHECK(status == 7);
        CHECK(secs < 20);
        CHECK(!fs::exists(dl / "copy"));
        if (upload) {
            CHECK(!any_partial(dl));
        } else {
            // A download the server stopped answering keeps its partial file for the next
            // run, and says so.
            CHECK(any_partial(dl));
            CHECK(out.find("is kept: the same command continues it") != std::string::npos);
        }
        fs::remove_all(dl);
        if (upload) {
            // Nothing under the final name; the temporary file is removed once the server
            // answers again, or named in the message as left behind.
            CHECK(!client->resolve(anonymous(), target));
            const std::string name = fs::path(target).filename().string();
            for (const auto& e : afs_names(*client, cell.anon_rw_dir))
                if (e.find(name) != std::string::npos) {
                    CHECK_MESSAGE(out.find(e) != std::string::npos, "left behind unnamed: " << e);
                    (void)client->remove_file(anonymous(), cell.anon_rw_dir + "/" + e);
                }
        }
    }
    (void)client->remove_file(anonymous(), remote);
}
