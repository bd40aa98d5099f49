// The directory cache: versions, LRU order, bounds.
#include <doctest/doctest.h>

#include "libafs/wire/dir_builder.hpp"
#include "libafs/wire/dir_cache.hpp"

using namespace afs::wire;
using namespace afs::wire::dir;

namespace {

std::shared_ptr<const Directory> make_dir(int entries = 0) {
    DirectoryBuilder b(1, 1, 1, 1);
    for (int i = 0; i < entries; ++i) (void)b.add("name" + std::to_string(i), static_cast<uint32_t>(i + 2), 1);
    return std::make_shared<const Directory>(*Directory::parse(b.bytes()));
}

const AFSFid a{1, 1, 1}, b{1, 2, 1}, c{2, 1, 1};

}  // namespace

TEST_CASE("a directory is found at its data version only") {
    DirectoryCache cache(10);
    const auto d = make_dir();
    REQUIRE(cache.insert(a, 5, d));
    CHECK(cache.find(a, 5) == d);
    CHECK(cache.find(a, 6) == nullptr);
    CHECK(cache.find(b, 5) == nullptr);
    // A new version replaces the old one.
    const auto d2 = make_dir(3);
    REQUIRE(cache.insert(a, 6, d2));
    CHECK(cache.size() == 1);
    CHECK(cache.find(a, 5) == nullptr);
    CHECK(cache.find(a, 6) == d2);
    CHECK(cache.bytes() == d2->memory_size());
}

TEST_CASE("the least recently used directory goes first") {
    DirectoryCache cache(2);
    const auto d = make_dir();
    REQUIRE(cache.insert(a, 1, d));
    REQUIRE(cache.insert(b, 1, d));
    CHECK(cache.find(a, 1));  // a is now more recent than b
    REQUIRE(cache.insert(c, 1, d));
    CHECK(cache.size() == 2);
    CHECK(cache.find(b, 1) == nullptr);
    CHECK(cache.find(a, 1));
    CHECK(cache.find(c, 1));
}

TEST_CASE("the byte bound evicts, and a directory too big alone is not kept") {
    const auto small = make_dir();
    const auto big = make_dir(500);
    REQUIRE(big->memory_size() > 2 * small->memory_size());
    DirectoryCache cache(100, big->memory_size() + small->memory_size());
    REQUIRE(cache.insert(a, 1, small));
    REQUIRE(cache.insert(b, 1, small));
    REQUIRE(cache.insert(c, 1, big));
    CHECK(cache.size() == 2);
    CHECK(cache.find(a, 1) == nullptr);
    CHECK(cache.bytes() <= big->memory_size() + small->memory_size());

    DirectoryCache tiny(100, small->memory_size());
    CHECK(!tiny.insert(a, 1, big));
    CHECK(tiny.size() == 0);
    CHECK(tiny.bytes() == 0);
    CHECK(!tiny.insert(a, 1, nullptr));
    DirectoryCache none(0);
    CHECK(!none.insert(a, 1, small));
}

TEST_CASE("dropping by fid, by volume, or everything") {
    DirectoryCache cache(10);
    const auto d = make_dir();
    REQUIRE(cache.insert(a, 1, d));
    REQUIRE(cache.insert(b, 1, d));
    REQUIRE(cache.insert(c, 1, d));
    cache.erase(b);
    CHECK(cache.find(b, 1) == nullptr);
    CHECK(cache.size() == 2);
    cache.erase_volume(1);
    CHECK(cache.find(a, 1) == nullptr);
    CHECK(cache.find(c, 1) == d);
    CHECK(cache.size() == 1);
    cache.clear();
    CHECK(cache.size() == 0);
    CHECK(cache.bytes() == 0);
    // A held directory outlives its eviction.
    CHECK(d->entries().size() == 2);
}
