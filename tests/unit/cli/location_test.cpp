#include <doctest/doctest.h>

#include "location.hpp"
#include "options.hpp"
#include "exit_codes.hpp"

using namespace netcp;

TEST_CASE("local paths stay local") {
    for (auto p : {"file", "./a://b", "/abs/path", "dir/", "-", "C:x"}) {
        auto l = parse_location(p);
        REQUIRE(l);
        CHECK(l->kind == Location::Kind::local);
        CHECK(l->path == p);
    }
    CHECK(parse_location("dir/")->trailing_slash);
    CHECK(!parse_location("/")->trailing_slash);
    CHECK(!parse_location(""));
}

TEST_CASE("9p URLs") {
    auto l = parse_location("9p://server/a/b/c.txt");
    REQUIRE(l);
    CHECK(l->is_remote());
    CHECK(l->host == "server");
    CHECK(l->port == 564);
    CHECK(l->path == "a/b/c.txt");
    CHECK(!l->trailing_slash);

    l = parse_location("9P://10.0.0.1:5640//x//./y/");
    REQUIRE(l);
    CHECK(l->host == "10.0.0.1");
    CHECK(l->port == 5640);
    CHECK(l->path == "x/y");
    CHECK(l->trailing_slash);

    l = parse_location("9p://[::1]:999/dir");
    REQUIRE(l);
    CHECK(l->host == "::1");
    CHECK(l->port == 999);
    CHECK(describe(*l) == "9p://[::1]:999/dir");

    l = parse_location("9p://[fe80::1]/");
    REQUIRE(l);
    CHECK(l->host == "fe80::1");
    CHECK(l->path.empty());

    l = parse_location("9p://alice@host/f%20g%zz");
    REQUIRE(l);
    CHECK(l->uname == "alice");
    CHECK(l->path == "f g%zz");

    l = parse_location("9p:///only/path");  // with --unix-socket the host may be empty
    REQUIRE(l);
    CHECK(l->host.empty());
    CHECK(l->path == "only/path");

    l = parse_location("9p://host");
    REQUIRE(l);
    CHECK(l->path.empty());
}

TEST_CASE("bad URLs are explained") {
    CHECK(parse_location("9p://host:0/x").error().find("bad port") != std::string::npos);
    CHECK(parse_location("9p://host:70000/x").error().find("bad port") != std::string::npos);
    CHECK(parse_location("9p://host:/x").error().find("bad port") != std::string::npos);
    CHECK(parse_location("9p://[::1/x").error().find("unterminated") != std::string::npos);
    CHECK(parse_location("9p://::1/x").error().find("brackets") != std::string::npos);
    CHECK(parse_location("http://host/x").error().find("unsupported URL scheme") != std::string::npos);
}

TEST_CASE("child locations") {
    auto r = *parse_location("9p://h:7/d");
    CHECK(child(r, "f").path == "d/f");
    CHECK(child(*parse_location("9p://h/"), "f").path == "f");
    CHECK(child(*parse_location("dir"), "f").path == "dir/f");
    CHECK(child(*parse_location("dir/"), "f").path == "dir/f");
}

namespace {
ParsedCommandLine parse(std::vector<std::string> args) {
    std::vector<char*> argv;
    args.insert(args.begin(), "netcp");
    for (auto& a : args) argv.push_back(a.data());
    return parse_command_line(static_cast<int>(argv.size()), argv.data());
}
}  // namespace

TEST_CASE("command line") {
    auto p = parse({"-r", "--aname", "/srv", "--depth", "8", "a", "9p://h/b"});
    REQUIRE(p.options);
    CHECK(p.options->recursive);
    CHECK(p.options->aname == "/srv");
    CHECK(p.options->depth == 8);
    CHECK(p.options->operands == std::vector<std::string>{"a", "9p://h/b"});

    CHECK(parse({"--help"}).exit_code == exit_ok);
    CHECK(parse({"--version"}).exit_code == exit_ok);
    CHECK(parse({"--no-such-option", "a", "b"}).exit_code == exit_usage);
    CHECK(parse({"only-one"}).exit_code == exit_usage);
    CHECK(parse({"--depth", "0", "a", "b"}).exit_code == exit_usage);
    CHECK(parse({"-q", "-v", "a", "b"}).exit_code == exit_usage);

    setenv("NETCP_ANAME", "/from/env", 1);
    CHECK(parse({"a", "b"}).options->aname == "/from/env");
    CHECK(parse({"--aname", "/cli", "a", "b"}).options->aname == "/cli");
    unsetenv("NETCP_ANAME");
}
