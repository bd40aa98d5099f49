// What the cache keeps across Cache instances: data and extents, coherency checks,
// partial files, invalidation, and an upload through netfs updating the entry.
#include <sys/stat.h>

#include "cache_env.hpp"
#include "fake_backend.hpp"
#include "layout.hpp"

using namespace cachetest;
using testnetfs::FakeReader;

TEST_CASE("data written through netfs survives a new Cache instance and is served from it") {
    testutil::TempDir dir("netcp-cache");
    const auto content = testutil::random_bytes((3 << 20) + 4321, 1);
    FakeReader reader(content);
    {
        auto c = open_cache(dir.path());
        auto obj = open_object(*c, key(1), coh(content.size()));
        CHECK(!obj->next_present(0));
        auto r = read_through(reader, obj.get());
        CHECK(r.data == content);
        CHECK(!r.flush);
        CHECK(r.stats.from_server == content.size());
        CHECK(obj->usable());
        CHECK(obj->bytes_written() >= content.size());
        CHECK(c->stats().misses == 1);
        // The object is dropped without an explicit commit: its destructor commits.
    }
    const uint64_t server_bytes = reader.bytes.load();
    auto c = open_cache(dir.path());
    auto obj = open_object(*c, key(1), coh(content.size()));
    CHECK(c->stats().hits == 1);
    auto e = obj->next_present(0);
    REQUIRE(e);
    CHECK(e->pos == 0);
    CHECK(e->len >= content.size());  // the last folio is stored whole
    // Straight reads at odd places.
    std::vector<std::byte> buf(100'000);
    REQUIRE(!obj->read(1'234'567, buf));
    CHECK(std::equal(buf.begin(), buf.end(), content.begin() + 1'234'567));
    // Through netfs: every byte from the cache, none from the server.
    auto r = read_through(reader, obj.get());
    CHECK(r.data == content);
    CHECK(r.stats.from_cache == content.size());
    CHECK(r.stats.from_server == 0);
    CHECK(reader.bytes.load() == server_bytes);
    CHECK(obj->bytes_read() >= content.size());

    auto list = c->list();
    REQUIRE(list.size() == 1);
    CHECK(list[0].key == key(1));
    CHECK(list[0].coherency == coh(content.size()));
    CHECK(list[0].in_use);  // we hold it
    CHECK(list[0].cached_bytes >= content.size());
    CHECK(list[0].backing_bytes >= content.size());
    obj.reset();
    list = c->list();
    REQUIRE(list.size() == 1);
    CHECK(!list[0].in_use);
    CHECK(list[0].last_used > 1'600'000'000);
}

TEST_CASE("an entry whose coherency differs starts empty") {
    testutil::TempDir dir("netcp-cache");
    const auto content = testutil::random_bytes(1 << 20, 2);
    auto c = open_cache(dir.path());
    fill(*c, key(1), content, /*version=*/1);
    {
        auto obj = open_object(*c, key(1), coh(content.size(), 2));  // the file changed on the server
        CHECK(!obj->next_present(0));
        std::vector<std::byte> buf(10);
        CHECK(obj->read(0, buf) == std::errc::no_message_available);
        const auto s = c->stats();
        CHECK(s.discarded_stale == 1);
        CHECK(s.misses == 2);  // the fill's open, and this one
        CHECK(s.hits == 0);
        struct stat st;
        REQUIRE(::stat(netfs::cache::Layout(dir.path().string()).entry(key(1)).data.c_str(), &st) == 0);
        CHECK(st.st_size == 0);  // the old bytes are gone from the disk too
    }
    // Even going back to the old coherency finds nothing: the data was dropped.
    auto obj = open_object(*c, key(1), coh(content.size(), 1));
    CHECK(!obj->next_present(0));
}

TEST_CASE("partly cached files: extents merge, persist, and bound what can be read") {
    testutil::TempDir dir("netcp-cache");
    const auto content = testutil::random_bytes(2 << 20, 3);
    const uint64_t K = 1024;
    {
        auto c = open_cache(dir.path());
        auto obj = open_object(*c, key(1), coh(content.size()));
        netfs::Context ctx;
        netfs::FileOptions fo;  // no server: only what we insert
        fo.cache = obj.get();
        fo.remote_size = content.size();
        fo.folio_size = 64 << 10;
        netfs::File f(ctx, fo);
        auto piece = [&](uint64_t pos, uint64_t len) { return std::span(content).subspan(pos, len); };
        f.insert_clean(0, piece(0, 128 * K), true);
        f.insert_clean(1024 * K, piece(1024 * K, 64 * K), true);
        f.insert_clean(128 * K, piece(128 * K, 64 * K), true);  // adjacent to the first
        REQUIRE(!f.flush());
    }
    auto c = open_cache(dir.path());
    auto obj = open_object(*c, key(1), coh(content.size()));
    auto e = obj->next_present(0);
    REQUIRE(e);
    CHECK(e->pos == 0);
    CHECK(e->len == 192 * K);
    e = obj->next_present(100 * K);
    REQUIRE(e);
    CHECK(e->pos == 0);
    e = obj->next_present(192 * K);
    REQUIRE(e);
    CHECK(e->pos == 1024 * K);
    CHECK(e->len == 64 * K);
    CHECK(!obj->next_present(1088 * K));
    std::vector<std::byte> buf(64 * K);
    REQUIRE(!obj->read(1024 * K, buf));
    CHECK(std::equal(buf.begin(), buf.end(), content.begin() + 1024 * K));
    std::vector<std::byte> across(10);
    CHECK(obj->read(192 * K - 5, across));  // half of it is not present
    CHECK(c->list().at(0).cached_bytes == 256 * K);

    // Through netfs, the present ranges come from the cache and the rest from the server.
    FakeReader reader(content);
    auto r = read_through(reader, obj.get(), 64 << 10);  // folios the cache holds whole
    CHECK(r.data == content);
    CHECK(r.stats.from_cache == 256 * K);
    CHECK(r.stats.from_cache + r.stats.from_server == content.size());
}

TEST_CASE("invalidate drops the data, on disk too, and the next open finds nothing") {
    testutil::TempDir dir("netcp-cache");
    const auto content = testutil::random_bytes(1 << 20, 4);
    auto c = open_cache(dir.path());
    fill(*c, key(1), content);
    {
        auto obj = open_object(*c, key(1), coh(content.size()));
        REQUIRE(obj->next_present(0));
        obj->invalidate();
        CHECK(!obj->usable());
        CHECK(obj->failure() == "invalidated");
        CHECK(!obj->next_present(0));
        std::vector<std::byte> buf(10);
        CHECK(obj->read(0, buf));
        struct stat st;
        REQUIRE(::stat(netfs::cache::Layout(dir.path().string()).entry(key(1)).data.c_str(), &st) == 0);
        CHECK(st.st_size == 0);
        // Writes after an invalidation are refused without failing the reader.
        FakeReader reader(content);
        auto r = read_through(reader, obj.get());
        CHECK(r.data == content);
        CHECK(!r.flush);
    }
    CHECK(c->list().empty());  // an entry left with nothing is removed
    auto obj = open_object(*c, key(1), coh(content.size()));
    CHECK(!obj->next_present(0));
}

TEST_CASE("an upload through netfs writes the cache too, and set_coherency keeps it for the new version") {
    testutil::TempDir dir("netcp-cache");
    const auto data = testutil::random_bytes((1 << 20) + 777, 5);
    auto c = open_cache(dir.path());
    {
        auto obj = open_object(*c, key(7), coh(0, 1));  // a new, empty remote file
        testnetfs::FakeBackend::Options uo;
        uo.content_size = 4 << 20;
        testnetfs::FakeBackend upload(uo);
        netfs::Context ctx;
        netfs::FileOptions fo;
        fo.streams = {{&upload, 32u << 20}};
        fo.cache = obj.get();
        netfs::File f(ctx, fo);
        auto w = f.write(0, data);
        REQUIRE(w);
        REQUIRE(!f.flush());
        auto up = upload.content();
        CHECK(std::equal(data.begin(), data.end(), up.begin()));
        obj->set_coherency(coh(data.size(), 2));  // what the server says after the upload
        CHECK(obj->coherency() == coh(data.size(), 2));
        REQUIRE(!obj->commit());
    }
    auto obj = open_object(*c, key(7), coh(data.size(), 2));
    auto e = obj->next_present(0);
    REQUIRE(e);
    CHECK(e->pos == 0);
    CHECK(e->len >= data.size());
    std::vector<std::byte> back(data.size());
    REQUIRE(!obj->read(0, back));
    CHECK(back == data);
}

TEST_CASE("a cache whose tree was removed under it makes it again") {
    testutil::TempDir dir("netcp-cache");
    auto c = open_cache(dir.path());
    const auto content = testutil::random_bytes(256 << 10, 6);
    fill(*c, key(1), content);
    std::filesystem::remove_all(dir.path() / "v1");
    CHECK(c->list().empty());
    fill(*c, key(1), content);
    CHECK(c->list().size() == 1);
}
