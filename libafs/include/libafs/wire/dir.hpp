// AFS directories: the bytes FetchData64 returns for a directory vnode, parsed.
//
// There is no usable Lookup RPC on OpenAFS, so clients read the directory object itself:
// 2048-byte pages of 64 32-byte "blobs"; page 0 starts with a header holding a 128-bucket
// hash table of entry chains. All integers inside are big-endian.
//
// The contents come from the network and are treated as hostile: every blob number is
// range-checked, chains are walked with cycle detection, names must end inside their page,
// and nothing is read outside the buffer. A damaged hash chain makes lookup fall back to
// the page scan; damaged entries are skipped (and counted), not trusted.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "libafs/error.hpp"

namespace afs::wire::dir {

inline constexpr size_t page_size = 2048;     // AFS_PAGESIZE
inline constexpr size_t blob_size = 32;
inline constexpr size_t blobs_per_page = 64;  // EPP
inline constexpr size_t hash_size = 128;      // NHASHENT
inline constexpr size_t max_pages = 1023;     // BIGMAXPAGES: blob numbers are 16-bit
inline constexpr size_t alloc_map_pages = 128;  // MAXPAGES: pages the header's allocation map covers
inline constexpr size_t header_blobs = 13;    // page 0: page header + allocation map + hash table
inline constexpr size_t max_name_len = 256;   // AFSNAMEMAX
inline constexpr uint16_t page_tag = 1234;
inline constexpr uint8_t flag_first = 1;      // FFIRST: first blob of an entry

// The hash bucket (0..127) of a name, as the fileserver computes it.
uint32_t name_hash(std::string_view name);

// How many blobs an entry with a name of `name_len` bytes occupies.
constexpr size_t name_blobs(size_t name_len) { return 1 + (name_len + 1 + 15) / 32; }

struct Entry {
    std::string name;
    uint32_t vnode = 0;   // with the directory's volume and `unique`, the entry's AFSFid
    uint32_t unique = 0;
    uint32_t blob = 0;    // where it starts: stable while the directory does not change
    bool operator==(const Entry&) const = default;
};

class Directory {
public:
    // Checks the geometry (a whole number of pages, at most 1023, every page tagged as a
    // directory page) and indexes the entries. Anything else is errc::not_a_directory
    // (errc::too_large for more than 1023 pages).
    static result<Directory> parse(std::vector<std::byte> contents);
    static result<Directory> parse(std::span<const std::byte> contents) {
        return parse(std::vector<std::byte>(contents.begin(), contents.end()));
    }

    // Finds a name (exact bytes, case-sensitive) through the hash table, as the fileserver
    // does. If the chain is damaged (a blob number out of range or not an entry, a cycle)
    // the entries found by the page scan are searched instead.
    std::optional<Entry> lookup(std::string_view name) const;

    // Every valid entry, "." and ".." included, in page order. Names are the server's bytes:
    // check them (path.hpp is_valid_name) before using one as a local file name.
    const std::vector<Entry>& entries() const { return entries_; }

    size_t page_count() const { return contents_.size() / page_size; }
    // Used slots that did not hold a valid entry (damage; 0 for a healthy directory).
    size_t skipped_slots() const { return skipped_; }
    // Roughly the memory this object holds, for cache accounting.
    size_t memory_size() const;

private:
    struct View;
    std::optional<View> entry_at(size_t blob) const;
    bool in_use(size_t blob) const;

    std::vector<std::byte> contents_;
    std::vector<Entry> entries_;
    size_t skipped_ = 0;
};

}  // namespace afs::wire::dir
