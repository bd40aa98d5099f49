// The resume journal: its format read back exactly and nothing else accepted (it lies
// where others may write), the prefix it records (the first gap in what was stored, on
// disk within one step), its lock, and the boundary check done before a resume.
#include <doctest/doctest.h>

#include <fcntl.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>

#include "remote.hpp"
#include "resume_journal.hpp"

using namespace netcp;
namespace fs = std::filesystem;

namespace {

JournalRecord sample() {
    JournalRecord r;
    r.transfer = {{"kind", "9p-upload"}, {"where", {{"server", "127.0.0.1:564"}, {"path", "a/b"}}}, {"n", 7}};
    r.partial = ".b.netcp-abc123.partial";
    r.partial_id = 42;
    r.prefix = 123456789;
    return r;
}

struct TempDir {
    fs::path path;
    TempDir() {
        char tmpl[] = "/tmp/netcp-journal-test.XXXXXX";
        REQUIRE(::mkdtemp(tmpl));
        path = tmpl;
    }
    ~TempDir() {
        std::error_code ec;
        fs::remove_all(path, ec);
    }
};

}  // namespace

TEST_CASE("a journal reads back exactly as it was written") {
    const auto r = sample();
    const std::string text = format_journal(r);
    auto back = parse_journal(text);
    REQUIRE(back);
    CHECK(back->transfer == r.transfer);
    CHECK(back->partial == r.partial);
    CHECK(back->partial_id == r.partial_id);
    CHECK(back->prefix == r.prefix);
    // Line 2 is the prefix, 20 digits: the part rewritten in place.
    CHECK(text.substr(text.size() - 21) == "00000000000123456789\n");
    // Names that are not UTF-8: the journal's form of an identity reads back equal to itself.
    JournalRecord odd = r;
    odd.transfer = journal_form({{"path", std::string("a\xff\xfe", 3)}, {"n", 1}});
    CHECK(parse_journal(format_journal(odd))->transfer == odd.transfer);
    JournalRecord max = r;
    max.prefix = UINT64_MAX;
    CHECK(parse_journal(format_journal(max))->prefix == UINT64_MAX);
}

TEST_CASE("anything that is not exactly a journal is refused") {
    const std::string good = format_journal(sample());
    const size_t nl = good.find('\n');
    const std::string head = good.substr(0, nl + 1);
    CHECK(!parse_journal(""));
    CHECK(!parse_journal(head));                                          // no prefix line
    CHECK(!parse_journal(head + "0000000000012345678\n"));               // 19 digits
    CHECK(!parse_journal(head + "000000000001234567890\n"));             // 21 digits
    CHECK(!parse_journal(head + "0000000000012345678x\n"));              // not a digit
    CHECK(!parse_journal(head + "00000000000123456789"));                // torn: no newline
    CHECK(!parse_journal(head + "00000000000123456789\nmore"));          // trailing bytes
    CHECK(!parse_journal(head + "99999999999999999999\n"));              // beyond 64 bits
    CHECK(!parse_journal("{\"netcp_resume\":1}\n00000000000000000001\n"));  // fields missing
    CHECK(!parse_journal(std::string(max_journal_bytes + 1, ' ')));
    auto with = [&](const char* key, const nlohmann::json& value) {
        auto j = nlohmann::json::parse(good.substr(0, nl));
        j[key] = value;
        return j.dump() + "\n00000000000000000001\n";
    };
    CHECK(parse_journal(with("partial", ".x.netcp-aaaaaa.partial")));
    CHECK(!parse_journal(with("netcp_resume", 2)));                      // another version
    CHECK(!parse_journal(with("partial", "../escape")));
    CHECK(!parse_journal(with("partial", "a/b")));
    CHECK(!parse_journal(with("partial", "..")));
    CHECK(!parse_journal(with("partial", "")));
    CHECK(!parse_journal(with("partial", std::string(256, 'a'))));
    CHECK(!parse_journal(with("partial", std::string("a\0b", 3))));
    CHECK(!parse_journal(with("partial", 5)));
    CHECK(!parse_journal(with("partial_id", -1)));
    CHECK(!parse_journal(with("transfer", "not an object")));
    CHECK(!parse_journal(with("extra", 1)));
    CHECK(!parse_journal("not json\n00000000000000000001\n"));
}

TEST_CASE("only a name partial_name could have made is a partial file of that name") {
    for (int i = 0; i < 20; ++i) CHECK(is_partial_name(partial_name("data.bin"), "data.bin"));
    const std::string long_name(250, 'n');
    CHECK(is_partial_name(partial_name(long_name), long_name));
    CHECK(!is_partial_name(partial_name("data.bin"), "data.bin2"));
    CHECK(!is_partial_name(".data.bin.netcp-ABCDEF.partial", "data.bin"));
    CHECK(!is_partial_name(".data.bin.netcp-abcde.partial", "data.bin"));
    CHECK(!is_partial_name(".data.bin.netcp-abc/ef.partial", "data.bin"));
    CHECK(!is_partial_name("data.bin", "data.bin"));
}

TEST_CASE("the journal records the first gap in what was stored, and is locked while in use") {
    TempDir dir;
    const int dfd = ::open(dir.path.c_str(), O_RDONLY | O_DIRECTORY);
    REQUIRE(dfd >= 0);
    {
        auto j = ResumeJournal::open(dfd, "j.resume");
        REQUIRE(j);
        CHECK(!j->read());  // new and empty
        auto r = sample();
        r.prefix = 0;
        REQUIRE(!j->begin(r, 10u << 20));
        // A second netcp on the same transfer cannot take it.
        auto other = ResumeJournal::open(dfd, "j.resume");
        REQUIRE(!other);
        CHECK(other.error() == std::errc::operation_would_block);

        j->stored(1u << 20, 1u << 20);  // out of order: nothing from the start yet
        CHECK(j->prefix_written() == 0);
        j->stored(0, 100);
        CHECK(j->prefix_written() == 0);  // less than a step
        j->stored(100, (1u << 20) - 100);
        CHECK(j->prefix_written() == 2u << 20);
        CHECK(j->read()->prefix == 2u << 20);
        j->stored(2u << 20, (8u << 20) - 1);
        CHECK(j->read()->prefix == (10u << 20) - 1);
        j->stored((10u << 20) - 1, 1);  // the end is always written
        CHECK(j->read()->prefix == 10u << 20);
        CHECK(j->read()->transfer == r.transfer);
    }
    {
        // Closed (or killed): the next run reads it and may take it.
        auto j = ResumeJournal::open(dfd, "j.resume");
        REQUIRE(j);
        REQUIRE(j->read());
        CHECK(j->read()->prefix == 10u << 20);
        j->remove();
    }
    CHECK(!fs::exists(dir.path / "j.resume"));
    // Not a regular file of ours: left alone.
    fs::create_symlink("/etc/passwd", dir.path / "link.resume");
    CHECK(!ResumeJournal::open(dfd, "link.resume"));
    CHECK(!ResumeJournal::open(dfd, "../x.resume"));
    ::close(dfd);
}

TEST_CASE("upload journals live in a private directory of the user's") {
    TempDir dir;
    ::setenv("NETCP_STATE_DIR", (dir.path / "state").c_str(), 1);
    CHECK(upload_journal_dir() == (dir.path / "state/uploads").string());
    {
        auto j = ResumeJournal::open_in(upload_journal_dir(), "k.resume");
        REQUIRE(j);
        CHECK((fs::status(dir.path / "state/uploads").permissions() & fs::perms::group_all) == fs::perms::none);
    }
    fs::permissions(dir.path / "state/uploads", fs::perms(0777));
    CHECK(!ResumeJournal::open_in(upload_journal_dir(), "k.resume"));  // others could write there
    ::unsetenv("NETCP_STATE_DIR");
    ::setenv("XDG_STATE_HOME", dir.path.c_str(), 1);
    CHECK(upload_journal_dir() == (dir.path / "netcp/uploads").string());
    ::unsetenv("XDG_STATE_HOME");
    CHECK(download_journal_name("f.bin").rfind(".f.bin.netcp-", 0) == 0);
    CHECK(download_journal_name(std::string(255, 'x')).size() <= 255);
    CHECK(download_journal_name(std::string(200, 'x') + "a") != download_journal_name(std::string(200, 'x') + "b"));
}

TEST_CASE("the bytes before a resume point are compared on both sides") {
    std::vector<std::byte> a(3u << 20), b;
    for (size_t i = 0; i < a.size(); ++i) a[i] = std::byte(i * 7 + 3);
    b = a;
    auto reader = [](const std::vector<std::byte>& v, size_t piece) -> RangeReader {
        return [&v, piece](uint64_t pos, std::span<std::byte> dst) -> tl::expected<size_t, std::error_code> {
            if (pos >= v.size()) return size_t{0};
            const size_t n = std::min({dst.size(), v.size() - size_t(pos), piece});
            std::copy_n(v.begin() + static_cast<std::ptrdiff_t>(pos), n, dst.begin());
            return n;
        };
    };
    CHECK(*boundary_matches(2u << 20, reader(a, 1000), reader(b, 65536)));
    CHECK(*boundary_matches(100, reader(a, 7), reader(b, 7)));
    b[(2u << 20) - 5] ^= std::byte{1};
    CHECK(!*boundary_matches(2u << 20, reader(a, 1000), reader(b, 65536)));
    CHECK(*boundary_matches(1u << 20, reader(a, 1000), reader(b, 65536)));  // the change is after
    b.resize(1u << 20);
    CHECK(!*boundary_matches(2u << 20, reader(a, 1000), reader(b, 65536)));  // one side ends early
    auto failing = [](uint64_t, std::span<std::byte>) -> tl::expected<size_t, std::error_code> {
        return tl::unexpected(std::make_error_code(std::errc::io_error));
    };
    CHECK(!boundary_matches(1u << 20, reader(a, 1000), failing));
}
