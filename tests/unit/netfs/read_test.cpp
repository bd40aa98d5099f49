// Buffered reads: readahead, the local cache serving what it holds, copy-to-cache through
// writeback on stream 1 only, read-after-write, errors, and a cache that falls behind.
#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <thread>

#include "fake_backend.hpp"
#include "fake_read.hpp"
#include "harness.hpp"
#include "netfs/file.hpp"

using namespace testnetfs;

namespace {

netfs::FileOptions read_options(FakeReader& reader, FakeCache* cache, uint64_t size) {
    netfs::FileOptions fo;
    fo.reader = &reader;
    fo.cache = cache;
    fo.remote_size = size;
    fo.folio_size = 64 << 10;
    return fo;
}

}  // namespace

TEST_CASE("a sequential read with readahead returns the server's bytes") {
    auto content = bytes((5 << 20) + 12345, 1);
    for (bool threaded : {false, true}) {
        CAPTURE(threaded);
        FakeReader reader(content, 16 << 10, threaded);
        netfs::Context ctx;
        netfs::File f(ctx, read_options(reader, nullptr, content.size()));
        CHECK(read_all(f, 4096) == content);
        // Every byte came from the server once, in reads no larger than max_read.
        CHECK(reader.bytes.load() == content.size());
        CHECK(f.read_stats().from_server == content.size());
        auto past = std::vector<std::byte>(10);
        CHECK(*f.read(content.size(), past) == 0);
    }
}

TEST_CASE("pages read from the server go to the cache, and the next read is served from it") {
    auto content = bytes(3 << 20, 2);
    FakeReader reader(content);
    FakeCache cache(content.size());
    {
        netfs::Context ctx;
        netfs::File f(ctx, read_options(reader, &cache, content.size()));
        CHECK(read_all(f, 1 << 20) == content);
        REQUIRE(!f.flush());  // copy-to-cache writeback: stream 1 only
        CHECK(ctx.stats().streams[1].bytes == content.size());
        CHECK(ctx.stats().streams[0].issued == 0);  // nothing was uploaded
    }
    CHECK(std::equal(content.begin(), content.end(), cache.data.begin()));
    const uint64_t server_reads = reader.reads.load();
    {
        netfs::Context ctx;
        netfs::File f(ctx, read_options(reader, &cache, content.size()));
        CHECK(read_all(f, 1 << 20) == content);
        CHECK(reader.reads.load() == server_reads);  // no read reached the server
        CHECK(f.read_stats().from_cache == content.size());
        REQUIRE(!f.flush());
        CHECK(ctx.stats().streams[1].issued == 0);  // nothing new to cache
    }
}

TEST_CASE("a partially cached file serves what the cache holds and reads the rest") {
    auto content = bytes(2 << 20, 3);
    FakeReader reader(content);
    FakeCache cache(content.size());
    {
        netfs::Context ctx;
        netfs::File f(ctx, read_options(reader, &cache, content.size()));
        std::vector<std::byte> half(1 << 20);
        REQUIRE(f.read(0, half));
        REQUIRE(!f.flush());
    }
    const uint64_t before = reader.bytes.load();
    netfs::Context ctx;
    auto fo = read_options(reader, &cache, content.size());
    fo.readahead_max = 64 << 10;
    netfs::File f(ctx, fo);
    CHECK(read_all(f, 64 << 10) == content);
    const auto st = f.read_stats();
    CHECK(st.from_cache >= (1u << 20) - (128u << 10));  // the first half (readahead of the first read may reach past it)
    CHECK(st.from_cache + st.from_server == content.size());
    CHECK(reader.bytes.load() - before == st.from_server);
}

TEST_CASE("a cache that fails or falls behind never fails or stalls the reader") {
    auto content = bytes(4 << 20, 4);
    SUBCASE("failing cache writes") {
        FakeReader reader(content);
        FakeCache cache(content.size());
        cache.fail_writes = true;
        netfs::Context ctx;
        netfs::File f(ctx, read_options(reader, &cache, content.size()));
        CHECK(read_all(f, 1 << 20) == content);
        CHECK(!f.flush());  // a cache failure is not the reader's error
        CHECK(!cache.usable());
        CHECK(!cache.next_present(0));
    }
    SUBCASE("a cache that writes nothing until released") {
        FakeReader reader(content);
        FakeCache cache(content.size());
        cache.hold = true;
        netfs::Context ctx;
        auto fo = read_options(reader, &cache, content.size());
        fo.cache_backlog_limit = 1 << 20;
        netfs::File f(ctx, fo);
        CHECK(read_all(f, 256 << 10) == content);  // finishes although the cache wrote nothing
        CHECK(f.read_stats().cache_skipped > 0);
        cache.release();
        CHECK(!f.flush());
        CHECK(cache.bytes_written() > 0);
    }
}

TEST_CASE("reading a folio written in part merges the server's bytes around ours") {
    auto content = bytes(1 << 20, 5);
    FakeReader reader(content);
    Harness::Config c;
    Harness h(c);
    netfs::Context ctx;
    netfs::FileOptions fo = read_options(reader, nullptr, content.size());
    fo.streams = {{&h.upload, 32u << 20}};
    netfs::File f(ctx, fo);
    auto ours = bytes(1000, 6);
    REQUIRE(f.write(70'000, ours));  // inside the second 64 KiB folio, below the server's size
    auto expect = content;
    std::copy(ours.begin(), ours.end(), expect.begin() + 70'000);
    CHECK(read_all(f, 10'000) == expect);
    REQUIRE(!f.flush());
    // The folio is whole after the read, so it goes out whole: the server's bytes around
    // ours, unchanged, and ours in the middle; nothing outside that folio.
    auto mask = h.upload.written_mask();
    CHECK(std::count(mask.begin(), mask.begin() + (1 << 20), 1) == 64 << 10);
    auto up = h.upload.content();
    CHECK(std::equal(expect.begin() + (64 << 10), expect.begin() + (128 << 10), up.begin() + (64 << 10)));
}

TEST_CASE("a failed server read is reported, and a later read tries again") {
    auto content = bytes(256 << 10, 7);
    FakeReader reader(content);
    netfs::Context ctx;
    netfs::File f(ctx, read_options(reader, nullptr, content.size()));
    reader.fail_next = 100;
    std::vector<std::byte> buf(4096);
    auto r = f.read(0, buf);
    REQUIRE(!r);
    CHECK(r.error() == std::errc::io_error);
    reader.fail_next = 0;
    CHECK(read_all(f, 4096) == content);
}

TEST_CASE("a read-only file refuses writes") {
    auto content = bytes(4096, 8);
    FakeReader reader(content);
    netfs::Context ctx;
    netfs::File f(ctx, read_options(reader, nullptr, content.size()));
    CHECK(f.write(0, content).error() == std::errc::read_only_file_system);
}

TEST_CASE("a server answering with fewer bytes than asked is asked again: no zeros, none cached") {
    auto content = bytes((2 << 20) + 777, 31);
    for (bool threaded : {false, true}) {
        CAPTURE(threaded);
        FakeReader reader(content, 16 << 10, threaded);
        reader.short_max = 3000;
        FakeCache cache(content.size());
        {
            netfs::Context ctx;
            netfs::File f(ctx, read_options(reader, &cache, content.size()));
            CHECK(read_all(f, 100'000) == content);
            REQUIRE(!f.flush());
        }
        CHECK(reader.bytes.load() == content.size());  // each byte once, in many short answers
        CHECK(reader.reads.load() > content.size() / 3000);
        CHECK(std::equal(content.begin(), content.end(), cache.data.begin()));
    }
}

TEST_CASE("a file that ends before the size the read began with is an error, never zeros") {
    auto content = bytes(1 << 20, 32);
    for (uint64_t end : {uint64_t{0}, uint64_t{1}, uint64_t{300'000}, uint64_t{(1 << 20) - 1}}) {
        CAPTURE(end);
        FakeReader reader(content, 16 << 10, true);
        reader.end_at = end;
        FakeCache cache(content.size());
        netfs::Context ctx;
        netfs::File f(ctx, read_options(reader, &cache, content.size()));
        std::vector<std::byte> out(content.size());
        uint64_t pos = 0;
        std::error_code ec;
        while (pos < content.size()) {
            auto got = f.read(pos, std::span(out).subspan(pos));
            if (!got) {
                ec = got.error();
                break;
            }
            REQUIRE(*got > 0);
            pos += *got;
        }
        CHECK(ec == netfs::errc::remote_changed);
        CHECK(pos <= end);  // nothing past the real end was handed out
        CHECK(std::equal(content.begin(), content.begin() + static_cast<ptrdiff_t>(pos), out.begin()));
        (void)f.flush();
        // The cache never holds the missing part as zeros.
        auto held = cache.next_present(0);
        if (held) CHECK(held->pos + held->len <= end);
    }
}

namespace {

// Runs `body` on a thread and fails the test run (abort) if it has not ended within
// `seconds`: a read that spins forever must turn the run red, not hang it.
void within(double seconds, const std::function<void()>& body) {
    std::atomic<bool> finished{false};
    std::thread t([&] {
        body();
        finished = true;
    });
    const auto end = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
    while (!finished && std::chrono::steady_clock::now() < end) std::this_thread::sleep_for(std::chrono::milliseconds(5));
    if (!finished) {
        std::fprintf(stderr, "still reading after %.0f s: the read never ends\n", seconds);
        std::abort();
    }
    t.join();
}

}  // namespace

TEST_CASE("a server that fails every read at once ends the read with its error, however far readahead went") {
    // As on a connection known to be dead: each read fails before read() returns. The
    // fills readahead starts beyond the wanted folio fail too; the read must still report
    // its own folio's failure instead of starting fills again and again.
    auto content = bytes(8 << 20, 41);
    for (bool threaded : {false, true}) {
        CAPTURE(threaded);
        FakeReader reader(content, 16 << 10, threaded);
        netfs::Context ctx;
        netfs::File f(ctx, read_options(reader, nullptr, content.size()));
        std::vector<std::byte> out(1 << 20);
        REQUIRE(*f.read(0, out) == out.size());
        reader.fail_next = 1 << 30;
        within(20, [&] {
            uint64_t pos = out.size();
            std::error_code ec;
            for (int i = 0; i < 10'000 && pos < content.size(); ++i) {
                auto got = f.read(pos, out);
                if (!got) {
                    ec = got.error();
                    break;
                }
                pos += *got;
            }
            CHECK(ec == std::errc::io_error);
        });
    }
}

TEST_CASE("a failed fill of a partly written folio is reported, not started again forever") {
    auto content = bytes(1 << 20, 42);
    for (bool threaded : {false, true}) {
        CAPTURE(threaded);
        FakeReader reader(content, 16 << 10, threaded);
        Harness::Config c;
        Harness h(c);
        netfs::Context ctx;
        netfs::FileOptions fo = read_options(reader, nullptr, content.size());
        fo.streams = {{&h.upload, 32u << 20}};
        netfs::File f(ctx, fo);
        auto patch = bytes(100, 43);
        REQUIRE(f.write(1000, patch));  // a folio that holds only these bytes
        reader.fail_next = 1 << 30;
        within(20, [&] {
            std::vector<std::byte> out(4096);
            auto got = f.read(0, out);  // bytes of that folio that were never read
            REQUIRE(!got);
            CHECK(got.error() == std::errc::io_error);
        });
        reader.fail_next = 0;
        std::vector<std::byte> out(4096);
        REQUIRE(*f.read(0, out) == out.size());
        auto want = std::vector<std::byte>(content.begin(), content.begin() + 4096);
        std::copy(patch.begin(), patch.end(), want.begin() + 1000);
        CHECK(out == want);
    }
}
