// Shared by the cache tests: a cache directory, keys, and moving data into and out of a
// cache object through a real netfs::File (reads from a FakeReader server, copied to the
// cache by writeback on stream 1).
#pragma once

#include <doctest/doctest.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "fake_read.hpp"
#include "harness.hpp"  // read_all
#include "netfs/cache/cache.hpp"
#include "netfs/file.hpp"
#include "test_util.hpp"

namespace cachetest {

using testnetfs::read_all;

using netfs::cache::Cache;
using netfs::cache::Coherency;
using netfs::cache::Key;
using netfs::cache::Object;

inline Key key(int n) { return {"fileserver:564", "/srv/export", "qid" + std::to_string(n)}; }
inline Coherency coh(uint64_t size, uint64_t version = 1) { return {size, 1'700'000'000'000'000'000 + version, version}; }

inline std::unique_ptr<Cache> open_cache(const std::filesystem::path& dir, uint64_t limit = 0) {
    netfs::cache::Options o;
    o.size_limit = limit;
    auto c = Cache::open(dir.string(), o);
    REQUIRE_MESSAGE(c, c.error().message());
    return std::move(*c);
}

inline std::shared_ptr<Object> open_object(Cache& c, const Key& k, const Coherency& now) {
    auto o = c.open_object(k, now);
    REQUIRE_MESSAGE(o, o.error().message());
    return *o;
}

inline netfs::FileOptions read_options(testnetfs::FakeReader& reader, Object* cache, uint64_t size) {
    netfs::FileOptions fo;
    fo.reader = &reader;
    fo.cache = cache;
    fo.remote_size = size;
    fo.folio_size = 256 << 10;
    return fo;
}

struct ReadResult {
    std::vector<std::byte> data;
    netfs::ReadStats stats;
    std::error_code flush;
};

// Reads the whole file through netfs with `obj` as its cache (null: none); what came from
// the server is written to the cache before this returns. Loops pass a context that lives
// across calls, as the netcp command has one: a Context destroyed right after it was made
// races its flusher thread's start (`stopping_` is written under the collector's mutex
// while the flusher reads it under its own), which TSan reports; that is netfs-core's to
// fix, in context.cpp. Tests that fork keep no context alive across the fork.
inline ReadResult read_through(testnetfs::FakeReader& reader, Object* obj, uint32_t folio_size = 256 << 10,
                               netfs::Context* shared = nullptr) {
    std::optional<netfs::Context> own;
    netfs::Context& ctx = shared ? *shared : own.emplace();
    auto fo = read_options(reader, obj, reader.content.size());
    fo.folio_size = folio_size;
    netfs::File f(ctx, fo);
    ReadResult r;
    r.data = read_all(f);
    r.flush = f.flush();
    r.stats = f.read_stats();
    return r;
}

// Fills a new entry for `k` with `content` and commits it.
inline void fill(Cache& c, const Key& k, const std::vector<std::byte>& content, uint64_t version = 1,
                 netfs::Context* shared = nullptr) {
    testnetfs::FakeReader reader(content);
    auto obj = open_object(c, k, coh(content.size(), version));
    auto r = read_through(reader, obj.get(), 256 << 10, shared);
    REQUIRE(!r.flush);
    REQUIRE(r.data == content);
    REQUIRE_MESSAGE(obj->usable(), obj->failure());
    REQUIRE(!obj->commit());
}

}  // namespace cachetest
