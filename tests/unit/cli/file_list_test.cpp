// --files-from lists as parse_file_list reads them: lines (comments, blank lines, a '\r'
// kept as part of a name), NUL-separated entries taken as they are, paths normalized to
// their components, and the entries refused ('..', the source directory itself).
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "file_list.hpp"
#include "test_util.hpp"

using namespace netcp;
using namespace std::string_literals;
using Paths = std::vector<std::vector<std::string>>;

TEST_CASE("parse_file_list: one path per line, split into its components, in list order") {
    auto l = parse_file_list("b.txt\na/b/c\nz\na.txt\n", false);
    CHECK(l.paths == Paths{{"b.txt"}, {"a", "b", "c"}, {"z"}, {"a.txt"}});
    CHECK(l.refused.empty());
    // The last line needs no newline.
    CHECK(parse_file_list("x\ny", false).paths == Paths{{"x"}, {"y"}});
    CHECK(parse_file_list("", false).paths.empty());
    CHECK(parse_file_list("", true).paths.empty());
    // Spaces are part of names, at either end too.
    CHECK(parse_file_list("with space/file name.txt\n trailing \n", false).paths ==
          Paths{{"with space", "file name.txt"}, {" trailing "}});
}

TEST_CASE("parse_file_list: blank lines and lines starting with # or a semicolon are ignored") {
    auto l = parse_file_list("\n\n# a comment\na\n;another comment\n\n#\n;\nb\n\n", false);
    CHECK(l.paths == Paths{{"a"}, {"b"}});
    CHECK(l.refused.empty());
    // Only at the start of the line: elsewhere they are part of the name.
    CHECK(parse_file_list("a#b\nc;d\n #e\n", false).paths == Paths{{"a#b"}, {"c;d"}, {" #e"}});
}

TEST_CASE("parse_file_list: a carriage return is kept, it may be part of a name") {
    auto l = parse_file_list("a\r\nb/c\r\n", false);
    CHECK(l.paths == Paths{{"a\r"}, {"b", "c\r"}});
}

TEST_CASE("parse_file_list with NUL separators: entries exactly as they are") {
    const std::string data = "#hash\0;semi\0new\nline\0\0dir/x\0trailing\n\0 \0"s;
    auto l = parse_file_list(data, true);
    CHECK(l.paths == Paths{{"#hash"}, {";semi"}, {"new\nline"}, {"dir", "x"}, {"trailing\n"}, {" "}});
    CHECK(l.refused.empty());
    // The last entry needs no NUL after it, and bytes that are not UTF-8 stay as they are.
    CHECK(parse_file_list("a\0bad\xff"s, true).paths == Paths{{"a"}, {"bad\xff"}});
    // A list of lines read as NUL-separated is one name holding the newlines.
    CHECK(parse_file_list("a\nb\n"s, true).paths == Paths{{"a\nb\n"}});
}

TEST_CASE("parse_file_list: a '..' component is refused, whatever else the path has") {
    for (const std::string entry : {"..", "../x", "a/../b", "a/..", "./../x", "/../x", "a//../../b"}) {
        CAPTURE(entry);
        auto l = parse_file_list("ok\n" + entry + "\nalso-ok\n", false);
        CHECK(l.paths == Paths{{"ok"}, {"also-ok"}});
        REQUIRE(l.refused.size() == 1);
        CHECK(l.refused[0].find("'" + entry + "'") != std::string::npos);
        CHECK(l.refused[0].find("..") != std::string::npos);
    }
    // In a NUL list too.
    auto l = parse_file_list("../x\0y"s, true);
    CHECK(l.paths == Paths{{"y"}});
    CHECK(l.refused.size() == 1);
    // A name that only starts with two dots is a name.
    CHECK(parse_file_list("..x\nx..\n...\n", false).paths == Paths{{"..x"}, {"x.."}, {"..."}});
}

TEST_CASE("parse_file_list: a leading '/', './' and repeated '/' are normalized away") {
    auto l = parse_file_list("/a/b\n./c\n//d///e/\n././f\ng/./h\n/./i/\n.hidden\n", false);
    CHECK(l.paths == Paths{{"a", "b"}, {"c"}, {"d", "e"}, {"f"}, {"g", "h"}, {"i"}, {".hidden"}});
    CHECK(l.refused.empty());
}

TEST_CASE("parse_file_list: an entry naming the source directory itself is refused") {
    for (const std::string entry : {".", "./", "/", "//", "./.", "/./"}) {
        CAPTURE(entry);
        auto l = parse_file_list("a\n" + entry + "\n", false);
        CHECK(l.paths == Paths{{"a"}});
        REQUIRE(l.refused.size() == 1);
        CHECK(l.refused[0].find("'" + entry + "'") != std::string::npos);
    }
}

TEST_CASE("read_file_list reads a file, and names one it cannot open") {
    testutil::TempDir tmp;
    testutil::write_file(tmp / "list", "x\0y/z\0"s);
    auto l = read_file_list((tmp / "list").string(), true);
    REQUIRE(l);
    CHECK(l->paths == Paths{{"x"}, {"y", "z"}});
    auto missing = read_file_list((tmp / "missing").string(), false);
    REQUIRE(!missing);
    CHECK(missing.error().find((tmp / "missing").string()) != std::string::npos);
}
