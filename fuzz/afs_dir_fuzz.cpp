// AFS directory objects as FetchData64 returns them: Directory::parse() (page geometry,
// the hash table, entry chains with cycles), lookup() of every listed name and of a name
// taken from the input, and the bookkeeping getters. Every entry the page scan lists must
// be found by lookup() under its name or not at all (an orphan off a sound chain is not
// found, as on the fileserver). Round trip: the valid names rebuilt with DirectoryBuilder
// (the encoder) must parse back and each look up to its own vnode and unique.
// The input is used twice: as it is, and with its first 2 KiB page repeated to a valid
// page count and tags patched in, so the fuzzer reaches the entry parser quickly.
#include <cstring>
#include <string>
#include <vector>

#include "fuzz_common.hpp"
#include "libafs/wire/dir.hpp"
#include "libafs/wire/dir_builder.hpp"

namespace dir = afs::wire::dir;

namespace {

void check(std::vector<std::byte> contents, std::string_view probe) {
    auto d = dir::Directory::parse(std::move(contents));
    if (!d) return;
    (void)d->memory_size();
    (void)d->skipped_slots();
    FUZZ_CHECK(d->page_count() >= 1);
    for (const auto& e : d->entries()) {
        FUZZ_CHECK(!e.name.empty() && e.name.size() <= dir::max_name_len);
        auto found = d->lookup(e.name);
        if (found) FUZZ_CHECK(found->name == e.name);
        FUZZ_CHECK(dir::name_hash(e.name) < dir::hash_size);
    }
    (void)d->lookup(probe);

    dir::DirectoryBuilder b(1, 1, 1, 1);
    std::vector<dir::Entry> added;
    for (const auto& e : d->entries()) {
        if (e.name == "." || e.name == "..") continue;
        if (!b.add(e.name, e.vnode, e.unique)) added.push_back(e);
    }
    auto rebuilt = dir::Directory::parse(b.bytes());
    FUZZ_CHECK(rebuilt.has_value());
    FUZZ_CHECK(rebuilt->skipped_slots() == 0);
    FUZZ_CHECK(rebuilt->entries().size() == added.size() + 2);
    for (const auto& e : added) {
        auto found = rebuilt->lookup(e.name);
        FUZZ_CHECK(found.has_value());
        FUZZ_CHECK(found->vnode == e.vnode && found->unique == e.unique);
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    auto in = netcp_fuzz::bytes(data, size);
    const std::string_view probe = netcp_fuzz::text(data, std::min<size_t>(size, 16));
    check(std::vector<std::byte>(in.begin(), in.end()), probe);

    // Pages of the input, each tagged as a directory page (the tag is bytes 2..3 of a
    // page, big-endian 1234), at most 4 pages.
    if (size == 0) return 0;
    const size_t pages = std::min<size_t>(4, (size + dir::page_size - 1) / dir::page_size);
    std::vector<std::byte> shaped(pages * dir::page_size);
    std::memcpy(shaped.data(), data, std::min(size, shaped.size()));
    for (size_t p = 0; p < pages; ++p) {
        shaped[p * dir::page_size + 2] = std::byte{dir::page_tag >> 8};
        shaped[p * dir::page_size + 3] = std::byte{dir::page_tag & 0xFF};
    }
    check(std::move(shaped), probe);
    return 0;
}
