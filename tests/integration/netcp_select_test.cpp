// Which files a netcp copy takes, against every 9P server and in both directions (upload
// to the server, download from it): --files-from lists (lines, stdin, NUL-separated with
// names holding a newline or bytes that are not UTF-8, entries refused or missing),
// -n/--dry-run changing nothing on the destination, and the existing destination files
// --ignore-existing, -u/--update and --size-only leave alone, with -v naming them.
#include <doctest/doctest.h>

#include <fcntl.h>
#include <sys/stat.h>

#include <ctime>
#include <filesystem>
#include <map>

#include "ninep_server.hpp"
#include "test_util.hpp"

using namespace testutil;
namespace fs = std::filesystem;
using namespace std::string_literals;

namespace {

std::string q(const fs::path& p) { return shell_quote(p.string()); }

std::string text_of(const fs::path& p) {
    const auto b = read_file(p);
    return std::string(reinterpret_cast<const char*>(b.data()), b.size());
}

struct Split {
    int status = -1;
    std::string out, err;
};

struct Netcp {
    const NinePServer& d;
    TempDir scratch{"netcp-select-scratch"};  // outside every tree a test compares

    std::string url(const std::string& path) const {
        return "9p://127.0.0.1:" + std::to_string(d.port()) + "/" + path;
    }
    std::string command(const std::string& args) const {
        return "env -u NETCP_AUTH -u NETCP_JSON " + shell_quote(NETCP_BINARY) + " --aname " + shell_quote(d.aname()) +
               " " + args;
    }
    // stdout and stderr together.
    CommandResult operator()(const std::string& args) const { return run(command(args)); }
    // stdout and stderr apart.
    Split split(const std::string& args) const {
        const auto out = scratch / "stdout";
        auto r = run("{ " + command(args) + " >" + q(out) + "; }");
        return {r.status, text_of(out), r.output};
    }
};

// Everything under `root` (itself included, as "."): type, content, permission bits and
// modification time (to the nanosecond), so any change shows.
std::map<std::string, std::string> snapshot(const fs::path& root) {
    std::map<std::string, std::string> out;
    auto describe = [](const fs::path& p) {
        struct stat st {};
        REQUIRE(::lstat(p.c_str(), &st) == 0);
        std::string s = S_ISDIR(st.st_mode)    ? "dir"
                        : S_ISLNK(st.st_mode)  ? "link:" + fs::read_symlink(p).string()
                        : S_ISFIFO(st.st_mode) ? "fifo"
                        : S_ISREG(st.st_mode)  ? "file:" + sha256_file(p)
                                               : "other";
        s += " mode=" + std::to_string(st.st_mode & 07777);
        if (!S_ISLNK(st.st_mode))
            s += " mtime=" + std::to_string(st.st_mtim.tv_sec) + "." + std::to_string(st.st_mtim.tv_nsec);
        return s;
    };
    out["."] = describe(root);
    for (auto it = fs::recursive_directory_iterator(root); it != fs::recursive_directory_iterator(); ++it)
        out[fs::relative(it->path(), root).string()] = describe(it->path());
    return out;
}

// Only what is there and what it holds: relative path -> "dir", "file:CONTENT", "link:TARGET".
std::map<std::string, std::string> contents(const fs::path& root) {
    std::map<std::string, std::string> out;
    for (auto it = fs::recursive_directory_iterator(root); it != fs::recursive_directory_iterator(); ++it) {
        const auto rel = fs::relative(it->path(), root).string();
        const auto st = it->symlink_status();
        if (fs::is_symlink(st)) out[rel] = "link:" + fs::read_symlink(it->path()).string();
        else if (fs::is_directory(st)) out[rel] = "dir";
        else out[rel] = "file:" + text_of(it->path());
    }
    return out;
}

void put(const fs::path& p, const std::string& text) {
    fs::create_directories(p.parent_path());
    write_file(p, text);
}

// Sets the modification time to a whole second (nanoseconds 0: every server keeps that).
void set_mtime(const fs::path& p, time_t sec) {
    const timespec times[2] = {{sec, 0}, {sec, 0}};
    REQUIRE_MESSAGE(::utimensat(AT_FDCWD, p.c_str(), times, AT_SYMLINK_NOFOLLOW) == 0, p);
}

timespec mtime_of(const fs::path& p) {
    struct stat st {};
    REQUIRE(::lstat(p.c_str(), &st) == 0);
    return st.st_mtim;
}

bool same_time(timespec a, timespec b) { return a.tv_sec == b.tv_sec && a.tv_nsec == b.tv_nsec; }

// A day ago, in whole seconds: the base of the times the tests set.
const time_t base_time = std::time(nullptr) - 86400;

// One direction of a copy. The test makes the source tree on disk at src_disk (the local
// side, or the server's export directory) and finds the destination at dst_disk; the
// operands name them, and netcp's messages name their entries as src(rel) and dst(rel).
struct Way {
    bool upload = true;
    std::string tag;  // distinct per test and direction: names never collide
    fs::path src_disk, dst_disk;
    std::string src_shown, dst_shown;
    const char* name() const { return upload ? "upload" : "download"; }
    std::string src_arg() const { return shell_quote(src_shown); }
    std::string dst_arg() const { return shell_quote(dst_shown); }
    std::string src(const std::string& rel) const { return src_shown + "/" + rel; }
    std::string dst(const std::string& rel) const { return dst_shown + "/" + rel; }
    // The directories the source and the destination are in.
    fs::path src_side() const { return src_disk.parent_path(); }
    fs::path dst_side() const { return dst_disk.parent_path(); }
};

Way way(bool upload, const Netcp& n, const TempDir& local, const std::string& tag) {
    Way w;
    w.upload = upload;
    w.tag = tag + (upload ? "-up" : "-down");
    const std::string s = w.tag + "-src", t = w.tag + "-dst";
    if (upload) {
        w.src_disk = local / s;
        w.src_shown = w.src_disk.string();
        w.dst_disk = n.d.export_dir() / t;
        w.dst_shown = n.url(t);
    } else {
        w.src_disk = n.d.export_dir() / s;
        w.src_shown = n.url(s);
        w.dst_disk = local / t;
        w.dst_shown = w.dst_disk.string();
    }
    return w;
}

bool has(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

}  // namespace

// --files-from -------------------------------------------------------------------------

TEST_CASE("--files-from copies exactly the listed paths into a DST it creates, with the directories they imply") {
    NinePServer d;
    Netcp netcp{d};
    TempDir local, lists;
    for (bool upload : {true, false}) {
        const Way w = way(upload, netcp, local, "listed");
        CAPTURE(w.name());
        put(w.src_disk / "top.txt", "top\n");
        put(w.src_disk / "unlisted.txt", "not listed\n");
        put(w.src_disk / "a/b/deep.txt", "deep\n");
        put(w.src_disk / "a/b/unlisted.txt", "not listed\n");
        put(w.src_disk / "a/sibling.txt", "not listed\n");
        put(w.src_disk / "with space/file name.txt", "spaced\n");
        put(w.src_disk / "dir/inner.txt", "inside a listed directory\n");
        put(w.src_disk / "dir/sub/x.txt", "deeper inside\n");
        // Files named like the comment lines: if those were read as names, these would come.
        put(w.src_disk / "# a comment", "comment\n");
        put(w.src_disk / "; another", "comment\n");
        put(w.src_disk / " # not a comment", "a name\n");
        write_file(lists / "list", std::string("top.txt\n\n# a comment\n; another\na/b/deep.txt\n\n"
                                               "with space/file name.txt\ndir\n # not a comment\n"));
        REQUIRE(!fs::exists(w.dst_disk));

        auto r = netcp("--files-from " + q(lists / "list") + " " + w.src_arg() + " " + w.dst_arg());
        REQUIRE_MESSAGE(r.status == 0, r.output);
        // A listed directory without -r: created, nothing copied into it.
        const std::map<std::string, std::string> want = {
            {"top.txt", "file:top\n"},
            {"a", "dir"},
            {"a/b", "dir"},
            {"a/b/deep.txt", "file:deep\n"},
            {"with space", "dir"},
            {"with space/file name.txt", "file:spaced\n"},
            {"dir", "dir"},
            {" # not a comment", "file:a name\n"}};
        CHECK(contents(w.dst_disk) == want);

        // With -r a listed directory is copied whole.
        write_file(lists / "dirs", std::string("dir\na/b/deep.txt\n"));
        const fs::path dst2 = w.dst_disk.string() + "-r";
        const std::string dst2_arg = shell_quote(w.dst_shown + "-r");
        r = netcp("-r --files-from " + q(lists / "dirs") + " " + w.src_arg() + " " + dst2_arg);
        REQUIRE_MESSAGE(r.status == 0, r.output);
        CHECK(contents(dst2) == std::map<std::string, std::string>{{"dir", "dir"},
                                                                   {"dir/inner.txt", "file:inside a listed directory\n"},
                                                                   {"dir/sub", "dir"},
                                                                   {"dir/sub/x.txt", "file:deeper inside\n"},
                                                                   {"a", "dir"},
                                                                   {"a/b", "dir"},
                                                                   {"a/b/deep.txt", "file:deep\n"}});

        // Into a DST that exists, beside what it holds; paths under directories that exist.
        put(w.dst_disk / "kept.txt", "already there\n");
        write_file(lists / "more", std::string("a/sibling.txt\nunlisted.txt\n"));
        r = netcp("--files-from " + q(lists / "more") + " " + w.src_arg() + " " + w.dst_arg());
        REQUIRE_MESSAGE(r.status == 0, r.output);
        auto more = want;
        more["kept.txt"] = "file:already there\n";
        more["a/sibling.txt"] = "file:not listed\n";
        more["unlisted.txt"] = "file:not listed\n";
        CHECK(contents(w.dst_disk) == more);
    }
}

TEST_CASE("--files-from - reads the list from standard input") {
    NinePServer d;
    Netcp netcp{d};
    TempDir local;
    for (bool upload : {true, false}) {
        const Way w = way(upload, netcp, local, "stdin");
        CAPTURE(w.name());
        put(w.src_disk / "one.txt", "1\n");
        put(w.src_disk / "sub/two.txt", "2\n");
        put(w.src_disk / "three.txt", "3\n");
        auto r = run("printf 'one.txt\\n# skipped\\nsub/two.txt\\n' | " +
                     netcp.command("--files-from - " + w.src_arg() + " " + w.dst_arg()));
        REQUIRE_MESSAGE(r.status == 0, r.output);
        CHECK(contents(w.dst_disk) ==
              std::map<std::string, std::string>{{"one.txt", "file:1\n"}, {"sub", "dir"}, {"sub/two.txt", "file:2\n"}});
        // NUL-separated on stdin, as find -print0 makes it.
        r = run("printf 'three.txt\\0sub/two.txt\\0' | " +
                netcp.command("-0 --files-from - " + w.src_arg() + " " + shell_quote(w.dst_shown + "-nul")));
        REQUIRE_MESSAGE(r.status == 0, r.output);
        CHECK(contents(w.dst_disk.string() + "-nul") ==
              std::map<std::string, std::string>{{"three.txt", "file:3\n"}, {"sub", "dir"}, {"sub/two.txt", "file:2\n"}});
    }
}

TEST_CASE("-0/--from0: a NUL-separated list, with a name holding a newline and one that is not UTF-8") {
    NinePServer d;
    Netcp netcp{d};
    TempDir local, lists;
    const std::string newline = "new\nline.txt", not_utf8 = "bad-\xff-name.bin", hash = "#not-a-comment";
    for (bool upload : {true, false}) {
        for (const char* flag : {"-0", "--from0"}) {
            const Way w = way(upload, netcp, local, std::string("nul") + (flag[1] == '0' ? "0" : "from0"));
            CAPTURE(w.name());
            CAPTURE(flag);
            put(w.src_disk / newline, "newline\n");
            put(w.src_disk / not_utf8, "bytes\n");
            put(w.src_disk / hash, "hash\n");
            put(w.src_disk / "dir\nwith newline/in.txt", "nested\n");
            put(w.src_disk / "new", "must not come: half of the newline name\n");
            put(w.src_disk / "line.txt", "must not come: half of the newline name\n");
            write_file(lists / "list0", newline + '\0' + not_utf8 + '\0' + hash + '\0' + '\0' +
                                            "dir\nwith newline/in.txt" + '\0');
            auto r = netcp(std::string(flag) + " --files-from " + q(lists / "list0") + " " + w.src_arg() + " " +
                           w.dst_arg());
            REQUIRE_MESSAGE(r.status == 0, r.output);
            CHECK(contents(w.dst_disk) == std::map<std::string, std::string>{{newline, "file:newline\n"},
                                                                             {not_utf8, "file:bytes\n"},
                                                                             {hash, "file:hash\n"},
                                                                             {"dir\nwith newline", "dir"},
                                                                             {"dir\nwith newline/in.txt",
                                                                              "file:nested\n"}});
        }
    }
}

TEST_CASE("a --files-from entry with '..' is refused and nothing is created outside DST") {
    NinePServer d;
    Netcp netcp{d};
    TempDir local, lists;
    for (bool upload : {true, false}) {
        const Way w = way(upload, netcp, local, "dotdot");
        CAPTURE(w.name());
        put(w.src_disk / "ok.txt", "ok\n");
        fs::create_directories(w.src_disk / "sub");
        // What the refused entries name, beside the source: they exist, so only the refusal
        // keeps them from being copied.
        const std::string escape = w.tag + "-escape.txt", escape2 = w.tag + "-escape2.txt";
        put(w.src_side() / escape, "outside the source\n");
        put(w.src_side() / escape2, "outside the source\n");
        write_file(lists / "list", "ok.txt\n../" + escape + "\nsub/../../" + escape2 + "\n");
        auto r = netcp("--files-from " + q(lists / "list") + " " + w.src_arg() + " " + w.dst_arg());
        CHECK_MESSAGE(r.status == 5, r.output);
        CHECK_MESSAGE(has(r.output, "'../" + escape + "'"), r.output);
        CHECK_MESSAGE(has(r.output, "'sub/../../" + escape2 + "'"), r.output);
        CHECK(contents(w.dst_disk) == std::map<std::string, std::string>{{"ok.txt", "file:ok\n"}});
        CHECK(!fs::exists(w.dst_side() / escape));
        CHECK(!fs::exists(w.dst_side() / escape2));
        CHECK(!fs::exists(w.dst_disk / escape));
        CHECK(!fs::exists(w.dst_disk / escape2));

        // Only refused entries, into a DST that exists: nothing copied, a usage error.
        const auto before = snapshot(w.dst_side());
        write_file(lists / "bad", "../" + escape + "\n");
        r = netcp("--files-from " + q(lists / "bad") + " " + w.src_arg() + " " + w.dst_arg());
        CHECK_MESSAGE(r.status == 2, r.output);
        CHECK(has(r.output, escape));
        CHECK(snapshot(w.dst_side()) == before);
    }
}

TEST_CASE("a symbolic link in a local DST cannot redirect a --files-from download") {
    NinePServer d;
    Netcp netcp{d};
    TempDir local, outside, lists;
    put(d.export_dir() / "src/sub/file", "from the server\n");
    put(d.export_dir() / "src/top", "top from the server\n");
    put(d.export_dir() / "src/ok", "ok\n");
    put(d.export_dir() / "src/sub/new/deeper", "deeper\n");
    put(outside / "file", "must stay\n");
    put(outside / "victim", "must stay too\n");
    // The destination holds a link to a directory outside where the list has sub/, and a
    // link to a file outside where it has top.
    fs::create_directories(local / "dst");
    fs::create_directory_symlink(outside.path(), local / "dst/sub");
    fs::create_symlink(outside / "victim", local / "dst/top");
    const auto before = snapshot(outside.path());
    write_file(lists / "list", std::string("sub/file\ntop\nok\nsub/new/deeper\n"));
    auto r = netcp("--files-from " + q(lists / "list") + " " + netcp.url("src") + " " + q(local / "dst"));
    CHECK_MESSAGE(r.status == 5, r.output);
    CHECK_MESSAGE(has(r.output, "sub/file"), r.output);
    CHECK(snapshot(outside.path()) == before);  // nothing written, created or replaced there
    CHECK(fs::is_symlink(local / "dst/sub"));
    // The file link was replaced by the file itself, not written through.
    CHECK(!fs::is_symlink(local / "dst/top"));
    CHECK(text_of(local / "dst/top") == "top from the server\n");
    CHECK(text_of(local / "dst/ok") == "ok\n");
}

TEST_CASE("a listed path that does not exist: exit 5 with a message naming it, the others copied") {
    NinePServer d;
    Netcp netcp{d};
    TempDir local, lists;
    for (bool upload : {true, false}) {
        const Way w = way(upload, netcp, local, "missing");
        CAPTURE(w.name());
        put(w.src_disk / "here.txt", "here\n");
        put(w.src_disk / "also/here.txt", "also\n");
        write_file(lists / "list", std::string("here.txt\nnot-there.txt\nno-dir/file.txt\nalso/here.txt\n"));
        auto r = netcp("--files-from " + q(lists / "list") + " " + w.src_arg() + " " + w.dst_arg());
        CHECK_MESSAGE(r.status == 5, r.output);
        CHECK_MESSAGE(has(r.output, "'not-there.txt'"), r.output);
        CHECK_MESSAGE(has(r.output, "'no-dir/file.txt'"), r.output);
        CHECK(contents(w.dst_disk) == std::map<std::string, std::string>{
                                          {"here.txt", "file:here\n"}, {"also", "dir"}, {"also/here.txt", "file:also\n"}});
    }
}

TEST_CASE("--files-from usage errors: two SRC operands, --from0 without it, SRC not a directory") {
    NinePServer d;
    Netcp netcp{d};
    TempDir local, lists;
    put(local / "src/f", "f\n");
    put(local / "src2/g", "g\n");
    write_file(lists / "list", std::string("f\n"));
    const auto before = snapshot(d.export_dir());

    auto r = netcp("--files-from " + q(lists / "list") + " " + q(local / "src") + " " + q(local / "src2") + " " +
                   netcp.url("dst"));
    CHECK_MESSAGE(r.status == 2, r.output);
    CHECK(has(r.output, "--files-from"));
    r = netcp("--files-from " + q(lists / "list") + " " + netcp.url("a") + " " + netcp.url("b") + " " +
              q(local / "down"));
    CHECK_MESSAGE(r.status == 2, r.output);
    r = netcp("--from0 " + q(local / "src") + " " + netcp.url("dst"));
    CHECK_MESSAGE(r.status == 2, r.output);
    CHECK(has(r.output, "--from0"));
    r = netcp("-0 -r " + q(local / "src") + " " + netcp.url("dst"));
    CHECK_MESSAGE(r.status == 2, r.output);
    // SRC is a file, not the directory the paths are relative to.
    r = netcp("--files-from " + q(lists / "list") + " " + q(local / "src/f") + " " + netcp.url("dst"));
    CHECK_MESSAGE(r.status == 2, r.output);
    // A list that cannot be read.
    r = netcp("--files-from " + q(lists / "no-such-list") + " " + q(local / "src") + " " + netcp.url("dst"));
    CHECK_MESSAGE(r.status == 2, r.output);
    CHECK(has(r.output, "no-such-list"));
    CHECK(snapshot(d.export_dir()) == before);
    CHECK(!fs::exists(local / "down"));
}

// -n/--dry-run --------------------------------------------------------------------------

TEST_CASE("--dry-run changes nothing on the destination and says what it would copy") {
    NinePServer d;
    Netcp netcp{d};
    TempDir local, lists;
    for (bool upload : {true, false}) {
        const Way w = way(upload, netcp, local, "dry");
        CAPTURE(w.name());
        put(w.src_disk / "a.txt", "alpha\n");
        put(w.src_disk / "sub/b.bin", "bravo\n");
        put(w.src_disk / "sub/deeper/c.txt", "charlie\n");
        fs::create_directories(w.src_disk / "sub/empty");
        fs::create_symlink("a.txt", w.src_disk / "link");
        set_mtime(w.src_disk / "a.txt", base_time);
        const std::vector<std::string> files = {"a.txt", "link", "sub/b.bin", "sub/deeper/c.txt"};

        // -r into a missing destination: no directory, no file, no partial file anywhere.
        auto before = snapshot(w.dst_side());
        auto r = netcp.split("-n -r " + w.src_arg() + " " + w.dst_arg());
        CHECK_MESSAGE(r.status == 0, r.err);
        CHECK(r.out.empty());
        CHECK(!fs::exists(w.dst_disk));
        CHECK(snapshot(w.dst_side()) == before);
        for (const auto& f : files)
            CHECK_MESSAGE(has(r.err, "would copy '" + w.src(f) + "' -> '" + w.dst(f) + "'\n"), f << "\n" << r.err);
        r = netcp.split("--dry-run -r -p -v " + w.src_arg() + " " + w.dst_arg());
        CHECK_MESSAGE(r.status == 0, r.err);
        CHECK(!fs::exists(w.dst_disk));
        CHECK(snapshot(w.dst_side()) == before);

        // A single file to a missing name.
        r = netcp.split("-n " + shell_quote(w.src("a.txt")) + " " + shell_quote(w.dst_shown + "-file"));
        CHECK_MESSAGE(r.status == 0, r.err);
        CHECK(has(r.err, "would copy '" + w.src("a.txt") + "' -> '" + w.dst_shown + "-file'\n"));
        CHECK(snapshot(w.dst_side()) == before);

        // A single file onto an existing one.
        put(w.dst_side() / (w.tag + "-existing"), "existing\n");
        before = snapshot(w.dst_side());
        const std::string existing =
            w.upload ? netcp.url(w.tag + "-existing") : (w.dst_side() / (w.tag + "-existing")).string();
        r = netcp.split("-n " + shell_quote(w.src("a.txt")) + " " + shell_quote(existing));
        CHECK_MESSAGE(r.status == 0, r.err);
        CHECK(has(r.err, "would copy '" + w.src("a.txt") + "' -> '" + existing + "'\n"));
        CHECK(snapshot(w.dst_side()) == before);

        // --files-from into a missing destination.
        write_file(lists / "list", std::string("sub/deeper/c.txt\nsub/empty\na.txt\n"));
        r = netcp.split("-n --files-from " + q(lists / "list") + " " + w.src_arg() + " " + w.dst_arg());
        CHECK_MESSAGE(r.status == 0, r.err);
        CHECK(has(r.err, "would copy '" + w.src("sub/deeper/c.txt") + "' -> '" + w.dst("sub/deeper/c.txt") + "'\n"));
        CHECK(has(r.err, "would copy '" + w.src("a.txt") + "' -> '" + w.dst("a.txt") + "'\n"));
        CHECK(snapshot(w.dst_side()) == before);
        r = netcp.split("-n -r --files-from " + q(lists / "list") + " " + w.src_arg() + " " + w.dst_arg());
        CHECK_MESSAGE(r.status == 0, r.err);
        CHECK(snapshot(w.dst_side()) == before);

        // Into a destination that exists, holding an older, different a.txt and part of the
        // tree: with -p too (which would set the directories' times), nothing changes.
        put(w.dst_disk / "a.txt", "an older alpha\n");
        set_mtime(w.dst_disk / "a.txt", base_time - 1000);
        fs::create_directories(w.dst_disk / "sub/deeper");
        set_mtime(w.dst_disk / "sub/deeper", base_time - 1000);
        set_mtime(w.dst_disk / "sub", base_time - 1000);
        set_mtime(w.dst_disk, base_time - 1000);
        before = snapshot(w.dst_side());
        for (const std::string opts : {"-n -r -T", "-n -r -T -p", "-n -r -T -v --ignore-existing", "-n -r -T -u",
                                       "-n -r", "-n -r -T --size-only"}) {
            CAPTURE(opts);
            r = netcp.split(opts + " " + w.src_arg() + " " + w.dst_arg());
            CHECK_MESSAGE(r.status == 0, r.err);
            CHECK(r.out.empty());
            CHECK(snapshot(w.dst_side()) == before);
        }
        r = netcp.split("-n -r -T " + w.src_arg() + " " + w.dst_arg());
        for (const auto& f : files)
            CHECK_MESSAGE(has(r.err, "would copy '" + w.src(f) + "' -> '" + w.dst(f) + "'\n"), f << "\n" << r.err);
        // With --ignore-existing the existing file would be skipped, and -v says so.
        r = netcp.split("-n -v -r -T --ignore-existing " + w.src_arg() + " " + w.dst_arg());
        CHECK(has(r.err, "skipped '" + w.src("a.txt") + "' -> '" + w.dst("a.txt") + "' (exists)\n"));
        CHECK(!has(r.err, "would copy '" + w.src("a.txt") + "'"));
        CHECK(has(r.err, "would copy '" + w.src("sub/b.bin") + "' -> '" + w.dst("sub/b.bin") + "'\n"));
        // Into it (not -T): DST/NAME does not exist there.
        r = netcp.split("-n -r " + w.src_arg() + " " + w.dst_arg());
        const std::string inside = w.dst_shown + "/" + w.src_disk.filename().string() + "/a.txt";
        CHECK_MESSAGE(has(r.err, "would copy '" + w.src("a.txt") + "' -> '" + inside + "'\n"), r.err);
        CHECK(snapshot(w.dst_side()) == before);
    }
}

// --ignore-existing, -u, --size-only ----------------------------------------------------

TEST_CASE("--ignore-existing leaves an existing destination file as it is and copies a missing one") {
    NinePServer d;
    Netcp netcp{d};
    TempDir local;
    for (bool upload : {true, false}) {
        const Way w = way(upload, netcp, local, "ignore");
        CAPTURE(w.name());
        put(w.src_disk / "keep.txt", "the new content, longer\n");
        put(w.src_disk / "fresh.txt", "fresh\n");
        put(w.src_disk / "sub/fresh2.txt", "fresh too\n");
        put(w.dst_disk / "keep.txt", "old\n");
        set_mtime(w.dst_disk / "keep.txt", base_time - 5000);
        const auto kept_time = mtime_of(w.dst_disk / "keep.txt");

        auto r = netcp("-v -r -T --ignore-existing " + w.src_arg() + " " + w.dst_arg());
        REQUIRE_MESSAGE(r.status == 0, r.output);
        CHECK(text_of(w.dst_disk / "keep.txt") == "old\n");
        CHECK(same_time(mtime_of(w.dst_disk / "keep.txt"), kept_time));
        CHECK(text_of(w.dst_disk / "fresh.txt") == "fresh\n");
        CHECK(text_of(w.dst_disk / "sub/fresh2.txt") == "fresh too\n");
        CHECK_MESSAGE(has(r.output, "skipped '" + w.src("keep.txt") + "' -> '" + w.dst("keep.txt") + "' (exists)\n"),
                      r.output);
        CHECK_MESSAGE(has(r.output, "netcp: 2 files, 1 directory, "), r.output);
        CHECK_MESSAGE(has(r.output, ", 1 skipped"), r.output);

        // A single file onto an existing one, and into the directory holding it.
        r = netcp("--ignore-existing " + shell_quote(w.src("keep.txt")) + " " + shell_quote(w.dst("keep.txt")));
        CHECK_MESSAGE(r.status == 0, r.output);
        r = netcp("--ignore-existing " + shell_quote(w.src("keep.txt")) + " " + w.dst_arg());
        CHECK_MESSAGE(r.status == 0, r.output);
        CHECK(r.output.empty());  // skipped files are named only with -v
        CHECK(text_of(w.dst_disk / "keep.txt") == "old\n");
        CHECK(same_time(mtime_of(w.dst_disk / "keep.txt"), kept_time));
        // Without it the file is replaced.
        r = netcp(shell_quote(w.src("keep.txt")) + " " + w.dst_arg());
        CHECK_MESSAGE(r.status == 0, r.output);
        CHECK(text_of(w.dst_disk / "keep.txt") == "the new content, longer\n");
    }
}

TEST_CASE("-u/--update copies only what is newer at the source (or as new with another size)") {
    NinePServer d;
    Netcp netcp{d};
    TempDir local;
    for (bool upload : {true, false}) {
        for (const char* flag : {"-u", "--update"}) {
            const Way w = way(upload, netcp, local, std::string("update") + (flag[1] == 'u' ? "u" : "update"));
            CAPTURE(w.name());
            CAPTURE(flag);
            const time_t t = base_time;
            // name -> source content, destination content, source time, destination time
            struct Case {
                std::string name, src, dst;
                time_t src_time, dst_time;
                bool copied;
            };
            const std::vector<Case> cases = {
                {"dst-newer.txt", "source\n", "destination\n", t, t + 100, false},
                {"src-newer.txt", "source\n", "destination\n", t + 100, t, true},
                {"same-time-same-size.txt", "source!\n", "dest...\n", t, t, false},
                {"same-time-other-size.txt", "source\n", "destination\n", t, t, true},
                {"missing.txt", "source\n", "", t, 0, true}};
            for (const auto& c : cases) {
                put(w.src_disk / c.name, c.src);
                set_mtime(w.src_disk / c.name, c.src_time);
                if (c.dst.empty()) continue;
                put(w.dst_disk / c.name, c.dst);
                set_mtime(w.dst_disk / c.name, c.dst_time);
            }
            auto r = netcp(std::string(flag) + " -v -r -T " + w.src_arg() + " " + w.dst_arg());
            REQUIRE_MESSAGE(r.status == 0, r.output);
            for (const auto& c : cases) {
                CAPTURE(c.name);
                CHECK(text_of(w.dst_disk / c.name) == (c.copied ? c.src : c.dst));
                if (!c.copied) CHECK(mtime_of(w.dst_disk / c.name).tv_sec == c.dst_time);
                CHECK(has(r.output, "skipped '" + w.src(c.name) + "' -> '" + w.dst(c.name) +
                                        "' (the destination is newer)\n") == !c.copied);
            }
            CHECK_MESSAGE(has(r.output, "netcp: 3 files, 0 directories, "), r.output);
            CHECK_MESSAGE(has(r.output, ", 2 skipped"), r.output);
        }

        // -p carries the time: copied again with -u, the file is as new and as big, so kept.
        const Way w = way(upload, netcp, local, "update-p");
        CAPTURE(w.name());
        put(w.src_disk / "f.txt", "first\n");
        set_mtime(w.src_disk / "f.txt", base_time);
        fs::create_directories(w.dst_disk);
        auto r = netcp("-p " + shell_quote(w.src("f.txt")) + " " + w.dst_arg());
        REQUIRE_MESSAGE(r.status == 0, r.output);
        REQUIRE(mtime_of(w.dst_disk / "f.txt").tv_sec == base_time);
        r = netcp("-u -v " + shell_quote(w.src("f.txt")) + " " + w.dst_arg());
        REQUIRE_MESSAGE(r.status == 0, r.output);
        CHECK_MESSAGE(has(r.output, "skipped '" + w.src("f.txt") + "' -> '" + w.dst("f.txt") +
                                        "' (the destination is newer)\n"),
                      r.output);
        CHECK_MESSAGE(has(r.output, "netcp: 0 files, 0 directories, "), r.output);
        CHECK_MESSAGE(has(r.output, ", 1 skipped"), r.output);
        // The source becomes newer (uploads: the local file changes; downloads: the local
        // copy is made older): copied.
        if (upload) {
            put(w.src_disk / "f.txt", "later\n");
            set_mtime(w.src_disk / "f.txt", base_time + 10);
        } else {
            set_mtime(w.dst_disk / "f.txt", base_time - 10);
        }
        r = netcp("-u -p " + shell_quote(w.src("f.txt")) + " " + w.dst_arg());
        REQUIRE_MESSAGE(r.status == 0, r.output);
        CHECK(text_of(w.dst_disk / "f.txt") == (upload ? "later\n" : "first\n"));
        CHECK(mtime_of(w.dst_disk / "f.txt").tv_sec == (upload ? base_time + 10 : base_time));
    }
}

TEST_CASE("--size-only keeps a destination file of the same size and copies one of another size") {
    NinePServer d;
    Netcp netcp{d};
    TempDir local;
    for (bool upload : {true, false}) {
        const Way w = way(upload, netcp, local, "size");
        CAPTURE(w.name());
        put(w.src_disk / "same.bin", "AAAAAAAA");
        put(w.src_disk / "other.bin", "AAAAAAAA");
        put(w.src_disk / "new.bin", "new");
        // Older at the destination, different content: only the size counts.
        put(w.dst_disk / "same.bin", "BBBBBBBB");
        put(w.dst_disk / "other.bin", "BBBBBBBBB");
        set_mtime(w.dst_disk / "same.bin", base_time - 1000);
        set_mtime(w.dst_disk / "other.bin", base_time - 1000);
        set_mtime(w.src_disk / "same.bin", base_time);
        const auto same_time_before = mtime_of(w.dst_disk / "same.bin");
        auto r = netcp("--size-only -v -r -T " + w.src_arg() + " " + w.dst_arg());
        REQUIRE_MESSAGE(r.status == 0, r.output);
        CHECK(text_of(w.dst_disk / "same.bin") == "BBBBBBBB");
        CHECK(same_time(mtime_of(w.dst_disk / "same.bin"), same_time_before));
        CHECK(text_of(w.dst_disk / "other.bin") == "AAAAAAAA");
        CHECK(text_of(w.dst_disk / "new.bin") == "new");
        CHECK_MESSAGE(has(r.output, "skipped '" + w.src("same.bin") + "' -> '" + w.dst("same.bin") + "' (same size)\n"),
                      r.output);
        CHECK(!has(r.output, "skipped '" + w.src("other.bin") + "'"));
        CHECK_MESSAGE(has(r.output, "netcp: 2 files, 0 directories, "), r.output);
        CHECK_MESSAGE(has(r.output, ", 1 skipped"), r.output);
        // Without -v nothing is said about it.
        r = netcp("--size-only " + shell_quote(w.src("same.bin")) + " " + shell_quote(w.dst("same.bin")));
        CHECK_MESSAGE(r.status == 0, r.output);
        CHECK(r.output.empty());
        CHECK(text_of(w.dst_disk / "same.bin") == "BBBBBBBB");
    }
}

TEST_CASE("-c/--checksum keeps a destination file with the same content and copies one that differs") {
    NinePServer d;
    Netcp netcp{d};
    TempDir local;
    for (bool upload : {true, false}) {
        const Way w = way(upload, netcp, local, "sum");
        CAPTURE(w.name());
        put(w.src_disk / "same.bin", "AAAAAAAA");
        put(w.src_disk / "differs.bin", "AAAAAAAA");   // same size, other bytes
        put(w.src_disk / "longer.bin", "AAAAAAAAA");   // another size: copied without reading back
        put(w.src_disk / "new.bin", "new");
        put(w.dst_disk / "same.bin", "AAAAAAAA");
        put(w.dst_disk / "differs.bin", "AAAAAAAB");
        put(w.dst_disk / "longer.bin", "AAAAAAAA");
        // Times differ both ways: only the content counts.
        set_mtime(w.dst_disk / "same.bin", base_time - 1000);
        set_mtime(w.src_disk / "same.bin", base_time);
        const auto same_time_before = mtime_of(w.dst_disk / "same.bin");
        auto r = netcp("--checksum -v -r -T " + w.src_arg() + " " + w.dst_arg());
        REQUIRE_MESSAGE(r.status == 0, r.output);
        CHECK(text_of(w.dst_disk / "same.bin") == "AAAAAAAA");
        CHECK(same_time(mtime_of(w.dst_disk / "same.bin"), same_time_before));
        CHECK(text_of(w.dst_disk / "differs.bin") == "AAAAAAAA");
        CHECK(text_of(w.dst_disk / "longer.bin") == "AAAAAAAAA");
        CHECK(text_of(w.dst_disk / "new.bin") == "new");
        CHECK_MESSAGE(has(r.output, "skipped '" + w.src("same.bin") + "' -> '" + w.dst("same.bin") + "' (same content)\n"),
                      r.output);
        CHECK_MESSAGE(has(r.output, "netcp: 3 files, 0 directories, "), r.output);
        CHECK_MESSAGE(has(r.output, ", 1 skipped"), r.output);
        // With --dry-run it still compares, and says only what differs would be copied.
        put(w.dst_disk / "differs.bin", "AAAAAAAB");
        r = netcp("--checksum -n -r -T " + w.src_arg() + " " + w.dst_arg());
        REQUIRE_MESSAGE(r.status == 0, r.output);
        CHECK_MESSAGE(has(r.output, "would copy '" + w.src("differs.bin") + "'"), r.output);
        CHECK(!has(r.output, "would copy '" + w.src("same.bin") + "'"));
        CHECK(text_of(w.dst_disk / "differs.bin") == "AAAAAAAB");
    }
}
