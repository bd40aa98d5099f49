// netcp against a diod that requires MUNGE authentication (as diod runs by default): who
// the files belong to, and each way authentication fails, with its exit code and message.
// The whole netcp_diod suite also runs against such a diod (netcp_diod@munge).
#include <doctest/doctest.h>

#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>

#include "ninep_server.hpp"
#include "test_util.hpp"

using namespace testutil;
namespace fs = std::filesystem;

namespace {

std::string q(const fs::path& p) { return shell_quote(p.string()); }

std::string url(const NinePServer& d, const std::string& path) {
    return "9p://127.0.0.1:" + std::to_string(d.port()) + "/" + path;
}

// netcp with the environment cleared of the fixture's NETCP_AUTH / NETCP_MUNGE_SOCKET, so
// each case says exactly what it gives.
CommandResult netcp(const NinePServer& d, const std::string& args, const std::string& prefix = "") {
    return run("env -u NETCP_AUTH -u NETCP_MUNGE_SOCKET " + prefix + shell_quote(NETCP_BINARY) + " --aname " +
               shell_quote(d.aname()) + " " + args);
}

uid_t owner_of(const fs::path& p) {
    struct stat st {};
    REQUIRE(::lstat(p.c_str(), &st) == 0);
    return st.st_uid;
}

}  // namespace

TEST_CASE("authenticated copies both ways are exact, and files belong to the uid that authenticated") {
    NinePServer d(ServerKind::diod_munge);
    TempDir local;
    fs::permissions(local.path(), fs::perms(0755));
    write_random_file(local / "up.bin", (8 << 20) + 123, 1);
    const std::string sock = " --munge-socket " + shell_quote(d.munge_socket()) + " ";

    auto r = netcp(d, sock + q(local / "up.bin") + " " + url(d, "up.bin"));
    REQUIRE_MESSAGE(r.status == 0, r.output);
    CHECK(sha256_file(d.export_dir() / "up.bin") == sha256_file(local / "up.bin"));
    CHECK(owner_of(d.export_dir() / "up.bin") == ::getuid());
    r = netcp(d, sock + url(d, "up.bin") + " " + q(local / "down.bin"));
    REQUIRE_MESSAGE(r.status == 0, r.output);
    CHECK(sha256_file(local / "down.bin") == sha256_file(local / "up.bin"));
    // The environment variable names the socket as well as the option.
    r = run("env -u NETCP_AUTH NETCP_MUNGE_SOCKET=" + shell_quote(d.munge_socket()) + " " + shell_quote(NETCP_BINARY) +
            " --aname " + shell_quote(d.aname()) + " " + q(local / "up.bin") + " " + url(d, "env.bin"));
    CHECK_MESSAGE(r.status == 0, r.output);

    if (::getuid() == 0) {
        // netcp run as an unprivileged user: its credential carries 65534, and what it
        // creates is 65534's.
        fs::create_directory(d.export_dir() / "pub");
        fs::permissions(d.export_dir() / "pub", fs::perms::all);
        r = netcp(d, sock + q(local / "up.bin") + " " + url(d, "pub/n.bin"),
                  "setpriv --reuid=65534 --regid=65534 --clear-groups ");
        REQUIRE_MESSAGE(r.status == 0, r.output);
        CHECK(owner_of(d.export_dir() / "pub/n.bin") == 65534);
        CHECK(sha256_file(d.export_dir() / "pub/n.bin") == sha256_file(local / "up.bin"));
        // And -r: a directory and its file, both 65534's.
        fs::create_directory(local / "tree");
        write_file(local / "tree/a", std::string("a"));
        fs::permissions(local / "tree", fs::perms(0755));
        r = netcp(d, sock + "-r " + q(local / "tree") + " " + url(d, "pub/"),
                  "setpriv --reuid=65534 --regid=65534 --clear-groups ");
        REQUIRE_MESSAGE(r.status == 0, r.output);
        CHECK(owner_of(d.export_dir() / "pub/tree") == 65534);
        CHECK(owner_of(d.export_dir() / "pub/tree/a") == 65534);
    }
}

TEST_CASE("attaching as a uid the credential does not carry is refused, exit 4") {
    NinePServer d(ServerKind::diod_munge);
    TempDir local;
    fs::permissions(local.path(), fs::perms(0755));
    write_file(local / "f", std::string("x"));
    const std::string sock = " --munge-socket " + shell_quote(d.munge_socket()) + " ";
    const std::string other = ::getuid() == 0 ? "65534" : "0";
    auto r = netcp(d, sock + "--uid " + other + " " + q(local / "f") + " " + url(d, "f"));
    CHECK(r.status == 4);
    CHECK(r.output.find("authentication failed") != std::string::npos);
    CHECK(r.output.find("to attach as uid " + other) != std::string::npos);
    CHECK(r.output.find("run netcp as that user") != std::string::npos);
    CHECK(d.log().find("does not authenticate uid=" + other) != std::string::npos);
    CHECK(!fs::exists(d.export_dir() / "f"));
    if (::getuid() == 0) {
        // An unprivileged user asking for root.
        r = netcp(d, sock + "--uid 0 " + q(local / "f") + " " + url(d, "f"),
                  "setpriv --reuid=65534 --regid=65534 --clear-groups ");
        CHECK(r.status == 4);
        CHECK(r.output.find("refused the MUNGE credential of uid 65534 (") != std::string::npos);
        CHECK(!fs::exists(d.export_dir() / "f"));
    }
}

TEST_CASE("a credential from a munged with another key: exit 4, authentication failed") {
    NinePServer d(ServerKind::diod_munge);
    TempDir other_munged("netcp-munge");
    auto m = run("bash " + shell_quote(NETCP_SOURCE_DIR "/fixtures/munge/munge-fixture.sh") + " start " +
                 q(other_munged.path()) + " --owner " + std::to_string(::getpid()));
    REQUIRE_MESSAGE(m.status == 0, m.output);
    TempDir local;
    write_file(local / "f", std::string("x"));
    const std::string wrong = (other_munged / "socket/munge.socket.2").string();
    auto r = netcp(d, "--munge-socket " + shell_quote(wrong) + " " + q(local / "f") + " " + url(d, "f"));
    CHECK(r.status == 4);
    CHECK(r.output.find("authentication failed") != std::string::npos);
    CHECK(r.output.find(wrong) != std::string::npos);
    CHECK(r.output.find("share this munged's key") != std::string::npos);
    CHECK(d.log().find("munge cred decode") != std::string::npos);
    CHECK(!fs::exists(d.export_dir() / "f"));
    // Downloads too.
    write_file(d.export_dir() / "g", std::string("y"));
    r = netcp(d, "--munge-socket " + shell_quote(wrong) + " " + url(d, "g") + " " + q(local / "g"));
    CHECK(r.status == 4);
    CHECK(!fs::exists(local / "g"));
    run("bash " + shell_quote(NETCP_SOURCE_DIR "/fixtures/munge/munge-fixture.sh") + " kill " + q(other_munged.path()));
}

TEST_CASE("no munged to ask: exit 4 naming munged and its socket") {
    NinePServer d(ServerKind::diod_munge);
    TempDir local;
    write_file(local / "f", std::string("x"));
    const std::string gone = (local / "no-munged.socket").string();
    auto r = netcp(d, "--munge-socket " + shell_quote(gone) + " " + q(local / "f") + " " + url(d, "f"));
    CHECK(r.status == 4);
    CHECK(r.output.find("asks for MUNGE authentication") != std::string::npos);
    CHECK(r.output.find("munged is not running") != std::string::npos);
    CHECK(r.output.find(gone) != std::string::npos);
    CHECK(!fs::exists(d.export_dir() / "f"));
    // The fixture's own munged, stopped: the same.
    auto stop = run("bash " + shell_quote(NETCP_SOURCE_DIR "/fixtures/munge/munge-fixture.sh") + " stop " +
                    q(fs::path(d.munge_socket()).parent_path().parent_path()));
    REQUIRE(stop.status == 0);
    r = netcp(d, "--munge-socket " + shell_quote(d.munge_socket()) + " " + q(local / "f") + " " + url(d, "f"));
    CHECK(r.status == 4);
    CHECK(r.output.find("munged is not running") != std::string::npos);
}

TEST_CASE("--auth: auto attaches plainly where no authentication is asked, munge insists, none never sends it") {
    TempDir local;
    write_file(local / "f", std::string("x"));
    {
        NinePServer plain(ServerKind::diod);
        // No munged anywhere: auto never asks for a credential the server does not want.
        auto r = netcp(plain, "--munge-socket /nonexistent/munge.socket " + q(local / "f") + " " + url(plain, "f"));
        CHECK_MESSAGE(r.status == 0, r.output);
        r = netcp(plain, "--auth munge " + q(local / "f") + " " + url(plain, "g"));
        CHECK(r.status == 4);
        CHECK(r.output.find("does not ask for authentication") != std::string::npos);
        CHECK(!fs::exists(plain.export_dir() / "g"));
    }
    NinePServer d(ServerKind::diod_munge);
    auto r = netcp(d, "--auth none --munge-socket " + shell_quote(d.munge_socket()) + " " + q(local / "f") + " " +
                          url(d, "f"));
    CHECK(r.status == 4);
    CHECK(r.output.find("drop --auth none") != std::string::npos);
    r = netcp(d, "--auth munge --munge-socket " + shell_quote(d.munge_socket()) + " " + q(local / "f") + " " +
                 url(d, "f"));
    CHECK_MESSAGE(r.status == 0, r.output);
    r = netcp(d, "--auth sometimes " + q(local / "f") + " " + url(d, "f"));
    CHECK(r.status == 2);
}
