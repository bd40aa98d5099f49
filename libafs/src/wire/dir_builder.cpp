// Building AFS directory objects with the fileserver's allocation rules.
#include "libafs/wire/dir_builder.hpp"

#include <cstring>

namespace afs::wire::dir {
namespace {

constexpr size_t pgcount_offset = 0;
constexpr size_t tag_offset = 2;
constexpr size_t bitmap_offset = 5;
constexpr size_t alloc_map_offset = 32;
constexpr size_t hash_offset = 32 + alloc_map_pages;
constexpr size_t next_offset = 2;
constexpr size_t name_offset = 12;

size_t first_entry_slot(size_t page) { return page == 0 ? header_blobs : 1; }

}  // namespace

DirectoryBuilder::DirectoryBuilder(uint32_t self_vnode, uint32_t self_unique, uint32_t parent_vnode,
                                   uint32_t parent_unique) {
    add_page();
    // Pages not yet present count as entirely free in the allocation map.
    for (size_t p = 1; p < alloc_map_pages; ++p) bytes_[alloc_map_offset + p] = std::byte{blobs_per_page};
    for (size_t b = 1; b < header_blobs; ++b) set_in_use(b, true);
    update_alloc_map(0);
    // A fresh directory cannot be full: these cannot fail.
    (void)add(".", self_vnode, self_unique);
    (void)add("..", parent_vnode, parent_unique);
}

uint16_t DirectoryBuilder::get16(size_t offset) const {
    return static_cast<uint16_t>(std::to_integer<unsigned>(bytes_[offset]) << 8 |
                                 std::to_integer<unsigned>(bytes_[offset + 1]));
}

void DirectoryBuilder::put16(size_t offset, uint16_t v) {
    bytes_[offset] = std::byte(static_cast<uint8_t>(v >> 8));
    bytes_[offset + 1] = std::byte(static_cast<uint8_t>(v));
}

void DirectoryBuilder::put32(size_t offset, uint32_t v) {
    put16(offset, static_cast<uint16_t>(v >> 16));
    put16(offset + 2, static_cast<uint16_t>(v));
}

bool DirectoryBuilder::in_use(size_t blob) const {
    const size_t page = blob / blobs_per_page, slot = blob % blobs_per_page;
    return std::to_integer<unsigned>(bytes_[page * page_size + bitmap_offset + slot / 8]) & (1u << (slot % 8));
}

void DirectoryBuilder::set_in_use(size_t blob, bool used) {
    const size_t page = blob / blobs_per_page, slot = blob % blobs_per_page;
    std::byte& bits = bytes_[page * page_size + bitmap_offset + slot / 8];
    const std::byte bit{static_cast<uint8_t>(1u << (slot % 8))};
    bits = used ? (bits | bit) : (bits & ~bit);
}

size_t DirectoryBuilder::free_blobs(size_t page) const {
    size_t n = 0;
    for (size_t s = 0; s < blobs_per_page; ++s) n += !in_use(page * blobs_per_page + s);
    return n;
}

void DirectoryBuilder::update_alloc_map(size_t page) {
    if (page < alloc_map_pages) bytes_[alloc_map_offset + page] = std::byte(static_cast<uint8_t>(free_blobs(page)));
}

void DirectoryBuilder::add_page() {
    const size_t page = page_count();
    bytes_.resize(bytes_.size() + page_size, std::byte{0});
    put16(page * page_size + tag_offset, page_tag);
    set_in_use(page * blobs_per_page, true);  // the page header
    update_alloc_map(page);
    put16(pgcount_offset, static_cast<uint16_t>(page_count()));
}

std::pair<size_t, size_t> DirectoryBuilder::find(std::string_view name) const {
    size_t prev = 0;
    // Our own chains are sound; the bound only guards against misuse.
    size_t blob = get16(hash_offset + 2 * name_hash(name));
    for (size_t steps = 0; blob != 0 && steps < page_count() * blobs_per_page; ++steps) {
        const char* n = reinterpret_cast<const char*>(bytes_.data() + blob * blob_size + name_offset);
        if (std::string_view(n) == name) return {blob, prev};
        prev = blob;
        blob = get16(blob * blob_size + next_offset);
    }
    return {0, 0};
}

std::error_code DirectoryBuilder::add(std::string_view name, uint32_t vnode, uint32_t unique) {
    if (name.empty() || name.size() > max_name_len || name.find('/') != std::string_view::npos ||
        name.find('\0') != std::string_view::npos)
        return errc::bad_value;
    if (find(name).first != 0) return errc::bad_value;

    const size_t need = name_blobs(name.size());
    size_t start = 0;
    for (size_t page = 0; start == 0; ++page) {
        if (page == page_count()) {
            if (page == max_pages) return errc::too_large;
            add_page();
        }
        if (free_blobs(page) < need) continue;
        // The first run of `need` free blobs in this page.
        size_t run = 0;
        for (size_t s = first_entry_slot(page); s < blobs_per_page && start == 0; ++s) {
            run = in_use(page * blobs_per_page + s) ? 0 : run + 1;
            if (run == need) start = page * blobs_per_page + s + 1 - need;
        }
    }

    const size_t at = start * blob_size;
    std::memset(bytes_.data() + at, 0, need * blob_size);
    bytes_[at] = std::byte{flag_first};
    const size_t bucket_offset = hash_offset + 2 * name_hash(name);
    put16(at + next_offset, get16(bucket_offset));
    put32(at + 4, vnode);
    put32(at + 8, unique);
    std::memcpy(bytes_.data() + at + name_offset, name.data(), name.size());
    put16(bucket_offset, static_cast<uint16_t>(start));
    for (size_t b = start; b < start + need; ++b) set_in_use(b, true);
    update_alloc_map(start / blobs_per_page);
    return {};
}

std::error_code DirectoryBuilder::remove(std::string_view name) {
    const auto [blob, prev] = find(name);
    if (blob == 0) return std::make_error_code(std::errc::no_such_file_or_directory);
    const uint16_t next = get16(blob * blob_size + next_offset);
    put16(prev == 0 ? hash_offset + 2 * name_hash(name) : prev * blob_size + next_offset, next);
    for (size_t b = blob; b < blob + name_blobs(name.size()); ++b) set_in_use(b, false);
    update_alloc_map(blob / blobs_per_page);
    return {};
}

}  // namespace afs::wire::dir
