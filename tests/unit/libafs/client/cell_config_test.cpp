// Cells from addresses and CellServDB text.
#include <doctest/doctest.h>

#include "libafs/client/cell_config.hpp"

using namespace afs;
using namespace afs::client;

TEST_CASE("server addresses: IPv4 and IPv6, with and without a port") {
    auto a = parse_server_address("127.1.0.1:7003");
    REQUIRE(a);
    CHECK(a->address().to_string() == "127.1.0.1");
    CHECK(a->port() == 7003);
    auto b = parse_server_address(" 10.1.2.3 ");
    REQUIRE(b);
    CHECK(b->port() == 7003);
    auto c = parse_server_address("[::1]:7777");
    REQUIRE(c);
    CHECK(c->address().is_v6());
    CHECK(c->port() == 7777);
    auto d = parse_server_address("fd00::5", 7000);
    REQUIRE(d);
    CHECK(d->port() == 7000);
    for (const char* bad : {"", "host.example", "1.2.3.4:", "1.2.3.4:0", "1.2.3.4:70000", "[::1", "[::1]x", "1.2.3.4:x"})
        CHECK_MESSAGE(!parse_server_address(bad), bad);
}

TEST_CASE("a cell from a name and addresses") {
    auto c = make_cell("Test.AFS", {"127.1.0.1:7003", "127.1.0.2"});
    REQUIRE(c);
    CHECK(c->name == "test.afs");
    CHECK(c->vl_servers.size() == 2);
    CHECK(!make_cell("bad cell", {}));
    CHECK(!make_cell("ok.cell", {"nonsense"}));
}

TEST_CASE("CellServDB: cells, servers, comments") {
    const char* text =
        "# a comment\n"
        ">test.afs            #netcp test cell\n"
        "127.1.0.1            #afsdb1.test.afs\n"
        "\n"
        ">Example.COM #Example\n"
        "10.0.0.1 #db1.example.com\r\n"
        "  10.0.0.2   #db2.example.com\n"
        ">empty.cell\n";
    auto cells = parse_cellservdb(text);
    REQUIRE(cells);
    REQUIRE(cells->size() == 3);
    CHECK((*cells)[0].name == "test.afs");
    REQUIRE((*cells)[0].vl_servers.size() == 1);
    CHECK((*cells)[0].vl_servers[0].address().to_string() == "127.1.0.1");
    CHECK((*cells)[0].vl_servers[0].port() == 7003);
    CHECK((*cells)[1].name == "example.com");
    CHECK((*cells)[1].vl_servers.size() == 2);
    CHECK((*cells)[2].vl_servers.empty());
}

TEST_CASE("CellServDB: what is refused") {
    CHECK(!parse_cellservdb("127.0.0.1 #before any cell\n"));
    CHECK(!parse_cellservdb(">bad cell name\n"));
    CHECK(!parse_cellservdb(">ok.cell\nnot-an-address #x\n"));
    auto empty = parse_cellservdb("");
    REQUIRE(empty);
    CHECK(empty->empty());
    CHECK(load_cellservdb("/nonexistent/CellServDB").error() == std::errc::no_such_file_or_directory);
}
