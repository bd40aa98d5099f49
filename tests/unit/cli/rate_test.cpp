// --bwlimit rates as parse_rate reads them: bytes per second with K, M, G, T powers of
// 1024, an optional "i", "B" and "/s"; anything else is not a rate.
#include <doctest/doctest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "exit_codes.hpp"
#include "options.hpp"

using namespace netcp;

TEST_CASE("parse_rate: the rates it accepts") {
    struct Case {
        const char* text;
        uint64_t bytes;
    };
    for (const auto& c : std::vector<Case>{{"10M", 10485760},
                                           {"1.5G", 1610612736},
                                           {"500K", 512000},
                                           {"800", 800},
                                           {"2M/s", 2097152},
                                           {"10MiB", 10485760},
                                           {"0", 0},
                                           {"10m", 10485760},
                                           {"1K", 1024},
                                           {"0.5K", 512},
                                           {"1KB", 1024},
                                           {"1T", 1099511627776ull},
                                           {"100B", 100},
                                           {"4Mi", 4194304}}) {
        CAPTURE(c.text);
        const auto r = parse_rate(c.text);
        REQUIRE(r);
        CHECK(*r == c.bytes);
    }
}

TEST_CASE("parse_rate: what is not a rate") {
    for (const char* text : {"", "fast", "10X", "-5M", "1.2.3M", "M", ".", "10 M", "1e3", "10M/h", "+5", "5MM"}) {
        CAPTURE(text);
        CHECK(!parse_rate(text));
    }
}

TEST_CASE("--bwlimit on the command line: a bad rate is a usage error") {
    auto parse = [](std::vector<std::string> args) {
        args.insert(args.begin(), "netcp");
        std::vector<char*> argv;
        for (auto& a : args) argv.push_back(a.data());
        return parse_command_line(static_cast<int>(argv.size()), argv.data());
    };
    auto ok = parse({"--bwlimit", "1.5M", "a", "9p://h/b"});
    REQUIRE(ok.options);
    CHECK(ok.options->bwlimit == 1572864);
    auto bad = parse({"--bwlimit", "fast", "a", "9p://h/b"});
    CHECK(!bad.options);
    CHECK(bad.exit_code == exit_usage);
}
