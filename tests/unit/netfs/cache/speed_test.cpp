// Informational: how fast warm reads come out of the cache through netfs, next to a plain
// pread of the backing file. Prints the numbers; asserts only that the data is right.
#include <fcntl.h>
#include <unistd.h>

#include <chrono>

#include "cache_env.hpp"
#include "layout.hpp"

using namespace cachetest;
using testnetfs::FakeReader;

namespace {
double mib_per_s(uint64_t bytes, std::chrono::steady_clock::duration d) {
    return static_cast<double>(bytes) / (1 << 20) / std::chrono::duration<double>(d).count();
}
}  // namespace

TEST_CASE("warm reads from the cache (informational throughput)") {
    testutil::TempDir dir("netcp-cache");
    const auto content = testutil::random_bytes(64 << 20, 41);
    auto c = open_cache(dir.path());
    FakeReader reader(content);
    const auto t0 = std::chrono::steady_clock::now();
    {
        auto obj = open_object(*c, key(1), coh(content.size()));
        auto r = read_through(reader, obj.get());
        REQUIRE(r.data == content);
        REQUIRE(!obj->commit());
    }
    const auto t1 = std::chrono::steady_clock::now();
    auto obj = open_object(*c, key(1), coh(content.size()));
    auto r = read_through(reader, obj.get());
    const auto t2 = std::chrono::steady_clock::now();
    CHECK(r.data == content);
    CHECK(r.stats.from_cache == content.size());

    std::vector<std::byte> buf(1 << 20);
    const int fd = ::open(netfs::cache::Layout(dir.path().string()).entry(key(1)).data.c_str(), O_RDONLY);
    REQUIRE(fd >= 0);
    for (off_t pos = 0; pos < static_cast<off_t>(content.size()); pos += static_cast<off_t>(buf.size()))
        REQUIRE(::pread(fd, buf.data(), buf.size(), pos) == static_cast<ssize_t>(buf.size()));
    const auto t3 = std::chrono::steady_clock::now();
    ::close(fd);
    MESSAGE("64 MiB: cold read + cache fill + commit " << mib_per_s(content.size(), t1 - t0)
                                                       << " MiB/s; warm read through netfs from the cache "
                                                       << mib_per_s(content.size(), t2 - t1)
                                                       << " MiB/s; raw pread of the backing file "
                                                       << mib_per_s(content.size(), t3 - t2) << " MiB/s");
}

TEST_CASE("many small files (informational: entries per second, with the syncs a new entry costs)") {
    testutil::TempDir dir("netcp-cache");
    const auto content = testutil::random_bytes(64 << 10, 42);
    constexpr int files = 200;
    auto c = open_cache(dir.path(), 1u << 30);
    netfs::Context ctx;
    const auto t0 = std::chrono::steady_clock::now();
    for (int i = 0; i < files; ++i) fill(*c, key(i), content, 1, &ctx);
    const auto t1 = std::chrono::steady_clock::now();
    FakeReader reader(content);
    for (int i = 0; i < files; ++i) {
        auto obj = open_object(*c, key(i), coh(content.size()));
        auto r = read_through(reader, obj.get(), 256 << 10, &ctx);
        REQUIRE(r.stats.from_cache == content.size());
    }
    const auto t2 = std::chrono::steady_clock::now();
    CHECK(c->stats().entries == files);
    CHECK(c->stats().hits == files);
    auto per_s = [](std::chrono::steady_clock::duration d) { return files / std::chrono::duration<double>(d).count(); };
    MESSAGE(files << " files of 64 KiB: cold (fill + durable commit) " << per_s(t1 - t0)
                  << " files/s; warm (open, read from the cache, commit) " << per_s(t2 - t1) << " files/s");
}
