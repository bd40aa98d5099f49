// The live progress line's text (Progress::format_line): never wider than the terminal's
// width - 1 columns (one column per code point), never a code point cut in two, the fields
// in order of importance, and a long name shortened from the left with "...".
#include <doctest/doctest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "progress.hpp"

using namespace netcp;

namespace {

// Code points in `s`; -1 if it is not valid UTF-8 (a sequence cut or broken).
long code_points(const std::string& s) {
    long n = 0;
    for (size_t i = 0; i < s.size();) {
        const auto c = static_cast<unsigned char>(s[i]);
        size_t len = c < 0x80 ? 1 : (c & 0xE0) == 0xC0 ? 2 : (c & 0xF0) == 0xE0 ? 3 : (c & 0xF8) == 0xF0 ? 4 : 0;
        if (len == 0 || i + len > s.size()) return -1;
        for (size_t k = 1; k < len; ++k)
            if ((static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80) return -1;
        i += len;
        ++n;
    }
    return n;
}

std::string repeat(const std::string& s, int n) {
    std::string out;
    for (int i = 0; i < n; ++i) out += s;
    return out;
}

Progress::Snapshot copying(const std::string& file) {
    Progress::Snapshot s;
    s.bytes = 5ull << 20;
    s.file_bytes = 5ull << 20;
    s.file_size = 10ull << 20;
    s.rate = 1 << 20;
    s.files_done = 2;
    s.total_files = 5;
    s.file = file;
    s.elapsed = 5;
    return s;
}

}  // namespace

TEST_CASE("format_line: at width 100 every field is there, in order") {
    const std::string line = Progress::format_line(copying("src/file.bin"), 100);
    CAPTURE(line);
    size_t at = 0;
    for (const std::string field : {"5.0 MiB", "1.0 MiB/s", "50%", "ETA 0:05", "2/5 files", "src/file.bin"}) {
        CAPTURE(field);
        const size_t pos = line.find(field, at);
        REQUIRE(pos != std::string::npos);
        at = pos + field.size();
    }
    CHECK(line.ends_with("  src/file.bin"));
    CHECK(line.size() <= 99);

    // Before the rate is known, and with no total, it says so.
    auto s = copying("f");
    s.rate = 0;
    s.total_files.reset();
    s.files_done = 1;
    const std::string unknown = Progress::format_line(s, 100);
    CAPTURE(unknown);
    CHECK(unknown.find("--/s") != std::string::npos);
    CHECK(unknown.find("ETA -:--") != std::string::npos);
    CHECK(unknown.find("  1 file") != std::string::npos);
    CHECK(unknown.find("1 files") == std::string::npos);
    // Between files: no percentage, no name.
    Progress::Snapshot idle;
    idle.bytes = 100;
    idle.files_done = 3;
    const std::string between = Progress::format_line(idle, 100);
    CHECK(between.find('%') == std::string::npos);
    CHECK(between.find("3 files") != std::string::npos);
}

TEST_CASE("format_line: a long name is shortened from the left with '...', its end kept") {
    const std::string tail = "the-end-of-the-name.bin";
    for (const std::string& name : {repeat("long-directory/", 20) + tail, repeat("ü日😀", 60) + tail}) {
        CAPTURE(name);
        const std::string line = Progress::format_line(copying(name), 100);
        CAPTURE(line);
        CHECK(code_points(line) == 99);  // the name takes all the room left
        const size_t dots = line.find("...");
        REQUIRE(dots != std::string::npos);
        CHECK(line.substr(0, dots).ends_with("  "));
        const std::string kept = line.substr(dots + 3);
        CHECK(kept.ends_with(tail));
        CHECK(name.ends_with(kept));  // a suffix of the name, cut at a code point
        CHECK(code_points(kept) > 0);
        CHECK(line.find("2/5 files") != std::string::npos);
    }
}

TEST_CASE("format_line: never wider than width - 1 code points, for every width from 1 to 200") {
    std::vector<Progress::Snapshot> cases;
    cases.push_back(copying(repeat("a", 300)));
    cases.push_back(copying(repeat("é", 250)));
    cases.push_back(copying(repeat("日本語", 80)));
    cases.push_back(copying(repeat("😀x", 120)));
    cases.push_back(copying("short"));
    cases.push_back(copying("日"));
    auto big = copying(repeat("ü", 10) + "/" + repeat("ß", 200));
    big.bytes = 1023ull << 40;
    big.file_size = 2000ull << 30;
    big.file_bytes = 1ull << 30;
    big.rate = 1.0;  // ETA beyond 99 hours
    big.files_done = 123456789;
    big.total_files = 987654321;
    cases.push_back(big);
    cases.push_back(Progress::Snapshot{});
    for (const auto& s : cases) {
        for (unsigned width = 1; width <= 200; ++width) {
            const std::string line = Progress::format_line(s, width);
            const long n = code_points(line);
            CAPTURE(width);
            CAPTURE(line);
            REQUIRE(n >= 0);  // no code point cut
            CHECK(n <= long(width) - 1);
            bool control = false;
            for (unsigned char c : line) control |= c < 0x20 || c == 0x7f;
            CHECK(!control);
            // The bytes so far come first, whatever else is left out.
            if (width >= 12) CHECK((!line.empty() && line[0] >= '0' && line[0] <= '9'));
        }
    }
}
