// AFS directory objects: the layout of a fresh directory byte by byte, lookups and
// enumeration over many pages, and damaged or hostile contents.
#include <doctest/doctest.h>

#include <map>
#include <random>

#include "libafs/wire/dir.hpp"
#include "libafs/wire/dir_builder.hpp"
#include "wire_test_util.hpp"

using namespace afs;
using namespace afs::wire::dir;
using namespace wire_test;

namespace {

uint8_t byte_at(const Bytes& b, size_t i) { return std::to_integer<uint8_t>(b[i]); }
uint16_t u16_at(const Bytes& b, size_t i) { return static_cast<uint16_t>(byte_at(b, i) << 8 | byte_at(b, i + 1)); }
void put16(Bytes& b, size_t i, uint16_t v) {
    b[i] = std::byte(static_cast<uint8_t>(v >> 8));
    b[i + 1] = std::byte(static_cast<uint8_t>(v));
}

constexpr size_t hash_table = 160;  // offset of the hash table in page 0

// The hash as afs-dir.md states it, with the signed arithmetic of the original.
uint32_t reference_hash(std::string_view s) {
    int32_t h = 0;
    for (unsigned char c : s) h = static_cast<int32_t>(static_cast<uint32_t>(h) * 173u + c);
    const int32_t t = h & 127;
    return static_cast<uint32_t>(t != 0 && h < 0 ? 128 - t : t);
}

std::string long_name(int i) { return "entry-number-" + std::to_string(i) + std::string(static_cast<size_t>(i % 40), 'x'); }

}  // namespace

TEST_CASE("the name hash") {
    CHECK(name_hash("") == 0);
    CHECK(name_hash(".") == 46);
    CHECK(name_hash("..") == 68);  // 46 * 173 + 46 = 8004, & 127 = 68
    std::mt19937 rng(7);
    for (int i = 0; i < 2000; ++i) {
        std::string s(1 + rng() % 40, ' ');
        for (auto& c : s) c = static_cast<char>(1 + rng() % 255);
        CAPTURE(s);
        CHECK(name_hash(s) == reference_hash(s));
        CHECK(name_hash(s) < 128);
    }
}

TEST_CASE("entries take 1 + (len + 16) / 32 blobs") {
    CHECK(name_blobs(1) == 1);
    CHECK(name_blobs(15) == 1);
    CHECK(name_blobs(16) == 2);
    CHECK(name_blobs(47) == 2);
    CHECK(name_blobs(48) == 3);
    CHECK(name_blobs(256) == 9);
}

TEST_CASE("a fresh directory, byte by byte") {
    const DirectoryBuilder b(7, 9, 1, 1);
    const Bytes& d = b.bytes();
    REQUIRE(d.size() == 2048);
    CHECK(u16_at(d, 0) == 1);     // pgcount
    CHECK(u16_at(d, 2) == 1234);  // tag
    // Blobs 0..12 (header), 13 (".") and 14 ("..") are in use.
    CHECK(byte_at(d, 5) == 0xff);
    CHECK(byte_at(d, 6) == 0x7f);
    CHECK(byte_at(d, 7) == 0);
    CHECK(byte_at(d, 32) == 64 - 15);  // allocation map, page 0: free blobs
    CHECK(byte_at(d, 33) == 64);       // pages not present count as empty
    CHECK(byte_at(d, 159) == 64);
    CHECK(u16_at(d, hash_table + 2 * 46) == 13);
    CHECK(u16_at(d, hash_table + 2 * 68) == 14);
    // "." at blob 13: flag, length, next, vnode, unique, name.
    CHECK(prefix(Bytes(d.begin() + 13 * 32, d.end()), 14) == raw({1, 0, 0, 0, 0, 0, 0, 7, 0, 0, 0, 9, '.', 0}));
    CHECK(prefix(Bytes(d.begin() + 14 * 32, d.end()), 15) == raw({1, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 1, '.', '.', 0}));

    auto dir = Directory::parse(d);
    REQUIRE(dir);
    REQUIRE(dir->entries().size() == 2);
    CHECK(dir->entries()[0] == Entry{".", 7, 9, 13});
    CHECK(dir->entries()[1] == Entry{"..", 1, 1, 14});
    CHECK(dir->lookup("..") == Entry{"..", 1, 1, 14});
    CHECK(!dir->lookup("missing"));
    CHECK(!dir->lookup(""));
    CHECK(dir->skipped_slots() == 0);
}

TEST_CASE("names of every length, chained and spread over many pages") {
    DirectoryBuilder b(1, 1, 1, 1);
    std::map<std::string, uint32_t> expected;
    for (int i = 0; i < 3000; ++i) {
        const std::string name = long_name(i);
        REQUIRE(!b.add(name, static_cast<uint32_t>(100 + i), static_cast<uint32_t>(i)));
        expected[name] = static_cast<uint32_t>(100 + i);
    }
    REQUIRE(!b.add(std::string(256, 'L'), 5, 5));
    expected[std::string(256, 'L')] = 5;
    CHECK(b.add(std::string(257, 'L'), 5, 5) == errc::bad_value);
    CHECK(b.add(long_name(3), 1, 1) == errc::bad_value);  // already there
    CHECK(b.add("a/b", 1, 1) == errc::bad_value);
    CHECK(b.page_count() > 100);

    auto dir = Directory::parse(b.bytes());
    REQUIRE(dir);
    CHECK(dir->page_count() == b.page_count());
    CHECK(dir->entries().size() == expected.size() + 2);
    CHECK(dir->skipped_slots() == 0);
    for (const auto& [name, vnode] : expected) {
        auto e = dir->lookup(name);
        REQUIRE(e);
        CHECK(e->vnode == vnode);
    }
    // Entries come in page order, and their blobs are stable cookies.
    for (size_t i = 1; i < dir->entries().size(); ++i) CHECK(dir->entries()[i - 1].blob < dir->entries()[i].blob);
    CHECK(!dir->lookup(long_name(3000)));
}

TEST_CASE("removed entries disappear though their bytes stay") {
    DirectoryBuilder b(1, 1, 1, 1);
    REQUIRE(!b.add("keep", 10, 1));
    REQUIRE(!b.add("drop", 11, 1));
    REQUIRE(!b.add("also", 12, 1));
    REQUIRE(!b.remove("drop"));
    CHECK(b.remove("drop") == std::errc::no_such_file_or_directory);
    auto dir = Directory::parse(b.bytes());
    REQUIRE(dir);
    CHECK(!dir->lookup("drop"));
    CHECK(dir->lookup("keep")->vnode == 10);
    CHECK(dir->lookup("also")->vnode == 12);
    CHECK(dir->entries().size() == 4);
    // The freed blobs are reused first.
    REQUIRE(!b.add("new", 13, 1));
    CHECK(Directory::parse(b.bytes())->lookup("new")->blob == dir->lookup("keep")->blob + 1);
}

TEST_CASE("geometry that is not a directory") {
    CHECK(Directory::parse(Bytes{}).error() == errc::not_a_directory);
    CHECK(Directory::parse(Bytes(2047)).error() == errc::not_a_directory);
    CHECK(Directory::parse(Bytes(2048)).error() == errc::not_a_directory);  // no tag
    DirectoryBuilder b(1, 1, 1, 1);
    Bytes d = b.bytes();
    d.resize(4096);
    CHECK(Directory::parse(d).error() == errc::not_a_directory);  // page 1 untagged
    put16(d, 2048 + 2, 1234);
    CHECK(Directory::parse(d));
    d.resize(2049);
    CHECK(Directory::parse(d).error() == errc::not_a_directory);
    Bytes huge(1024 * 2048);
    CHECK(Directory::parse(huge).error() == errc::too_large);
}

TEST_CASE("damaged chains fall back to the page scan") {
    DirectoryBuilder b(1, 1, 1, 1);
    REQUIRE(!b.add("target", 20, 2));
    const uint32_t bucket = name_hash("target");
    const Bytes good = b.bytes();
    const uint16_t head = u16_at(good, hash_table + 2 * bucket);
    REQUIRE(head != 0);

    SUBCASE("a chain that loops on itself") {
        Bytes d = good;
        put16(d, head * 32 + 2, head);  // target.next = target
        auto dir = Directory::parse(d);
        REQUIRE(dir);
        CHECK(dir->lookup("target")->vnode == 20);
        // A name in the same bucket that is absent: the walk ends at the cycle.
        std::string other;
        for (int i = 0; other.empty(); ++i)
            if (name_hash("n" + std::to_string(i)) == bucket) other = "n" + std::to_string(i);
        CHECK(!dir->lookup(other));
    }
    SUBCASE("a bucket pointing outside the directory, into the header, or at a free blob") {
        for (uint16_t bad : {uint16_t{64}, uint16_t{65535}, uint16_t{5}, uint16_t{40}}) {
            CAPTURE(bad);
            Bytes d = good;
            put16(d, hash_table + 2 * bucket, bad);
            auto dir = Directory::parse(d);
            REQUIRE(dir);
            CHECK(dir->lookup("target")->vnode == 20);
        }
    }
    SUBCASE("a name that runs to the end of its page") {
        Bytes d = good;
        for (size_t i = head * 32 + 12; i < 2048; ++i) d[i] = std::byte{'z'};
        for (size_t s = head; s < 64; ++s) d[5 + s / 8] |= std::byte(static_cast<uint8_t>(1u << (s % 8)));
        auto dir = Directory::parse(d);
        REQUIRE(dir);
        CHECK(!dir->lookup("target"));
        CHECK(dir->entries().size() == 2);
        CHECK(dir->skipped_slots() > 0);
    }
    SUBCASE("an entry whose continuation blobs are marked free") {
        DirectoryBuilder lb(1, 1, 1, 1);
        REQUIRE(!lb.add(std::string(100, 'q'), 30, 3));
        Bytes d = lb.bytes();
        const uint16_t start = u16_at(d, hash_table + 2 * name_hash(std::string(100, 'q')));
        const size_t cont = start + 1u;
        d[5 + cont / 8] &= ~std::byte(static_cast<uint8_t>(1u << (cont % 8)));
        auto dir = Directory::parse(d);
        REQUIRE(dir);
        CHECK(!dir->lookup(std::string(100, 'q')));
        CHECK(dir->entries().size() == 2);
    }
}

TEST_CASE("random damage never crashes, and what is found is what was asked for") {
    DirectoryBuilder b(1, 1, 1, 1);
    std::vector<std::string> names;
    for (int i = 0; i < 400; ++i) {
        names.push_back(long_name(i));
        REQUIRE(!b.add(names.back(), static_cast<uint32_t>(i), 1));
    }
    const Bytes good = b.bytes();
    std::mt19937 rng(99);
    int parsed = 0;
    for (int round = 0; round < 300; ++round) {
        Bytes d = good;
        const int flips = 1 + static_cast<int>(rng() % 64);
        for (int k = 0; k < flips; ++k) d[rng() % d.size()] = std::byte(static_cast<uint8_t>(rng()));
        auto dir = Directory::parse(d);
        if (!dir) continue;
        ++parsed;
        for (const auto& e : dir->entries()) {
            CHECK(!e.name.empty());
            CHECK(e.name.size() <= max_name_len);
            CHECK(e.name.find('\0') == std::string::npos);
        }
        for (int k = 0; k < 40; ++k) {
            const std::string& name = names[rng() % names.size()];
            if (auto e = dir->lookup(name)) CHECK(e->name == name);
        }
    }
    CHECK(parsed > 0);
}
