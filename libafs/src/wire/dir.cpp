// Reading AFS directory objects (layout in dir.hpp and afs-dir.md).
#include "libafs/wire/dir.hpp"

#include <cstring>

namespace afs::wire::dir {
namespace {

// Offsets inside a page header and the page-0 directory header.
constexpr size_t tag_offset = 2;
constexpr size_t bitmap_offset = 5;
constexpr size_t hash_offset = 32 + alloc_map_pages;
// Offsets inside an entry's first blob.
constexpr size_t flag_offset = 0;
constexpr size_t next_offset = 2;
constexpr size_t vnode_offset = 4;
constexpr size_t unique_offset = 8;
constexpr size_t name_offset = 12;

size_t first_entry_slot(size_t page) { return page == 0 ? header_blobs : 1; }

}  // namespace

uint32_t name_hash(std::string_view name) {
    uint32_t h = 0;
    for (char c : name) {
        if (c == '\0') break;
        h = h * 173 + static_cast<unsigned char>(c);
    }
    // The fileserver computes this with a signed int: a "negative" hash folds the other way.
    uint32_t bucket = h & (hash_size - 1);
    if (bucket != 0 && h >= 0x80000000u) bucket = static_cast<uint32_t>(hash_size) - bucket;
    return bucket;
}

// An entry as it sits in the buffer; `name` points into the directory's bytes.
struct Directory::View {
    std::string_view name;
    uint32_t vnode;
    uint32_t unique;
    uint16_t next;
};

namespace {

uint16_t be16(const std::byte* p) { return static_cast<uint16_t>(std::to_integer<unsigned>(p[0]) << 8 | std::to_integer<unsigned>(p[1])); }
uint32_t be32(const std::byte* p) {
    return std::to_integer<uint32_t>(p[0]) << 24 | std::to_integer<uint32_t>(p[1]) << 16 |
           std::to_integer<uint32_t>(p[2]) << 8 | std::to_integer<uint32_t>(p[3]);
}

}  // namespace

bool Directory::in_use(size_t blob) const {
    const size_t page = blob / blobs_per_page, slot = blob % blobs_per_page;
    const std::byte bits = contents_[page * page_size + bitmap_offset + slot / 8];
    return std::to_integer<unsigned>(bits) & (1u << (slot % 8));
}

// The entry starting at `blob`, if one validly does: in range, past the headers, marked in
// use with all its blobs, flagged as a first blob, and with a name of 1..256 bytes that ends
// inside the page.
std::optional<Directory::View> Directory::entry_at(size_t blob) const {
    const size_t page = blob / blobs_per_page, slot = blob % blobs_per_page;
    if (page >= page_count() || slot < first_entry_slot(page) || !in_use(blob)) return std::nullopt;
    const std::byte* e = contents_.data() + blob * blob_size;
    // The fileserver writes exactly FFIRST here; demanding exactly that keeps name bytes of a
    // damaged neighbour from passing for an entry in the page scan.
    if (std::to_integer<unsigned>(e[flag_offset]) != flag_first) return std::nullopt;

    const char* name = reinterpret_cast<const char*>(e + name_offset);
    const size_t room = (page + 1) * page_size - (blob * blob_size + name_offset);
    const void* nul = std::memchr(name, 0, room);
    if (!nul) return std::nullopt;
    const size_t len = static_cast<size_t>(static_cast<const char*>(nul) - name);
    if (len == 0 || len > max_name_len) return std::nullopt;
    const size_t blobs = name_blobs(len);
    if (slot + blobs > blobs_per_page) return std::nullopt;
    for (size_t b = blob + 1; b < blob + blobs; ++b)
        if (!in_use(b)) return std::nullopt;
    return View{{name, len}, be32(e + vnode_offset), be32(e + unique_offset), be16(e + next_offset)};
}

result<Directory> Directory::parse(std::vector<std::byte> contents) {
    if (contents.empty() || contents.size() % page_size != 0) return fail(errc::not_a_directory);
    if (contents.size() / page_size > max_pages) return fail(errc::too_large);

    Directory d;
    d.contents_ = std::move(contents);
    for (size_t page = 0; page < d.page_count(); ++page)
        if (be16(d.contents_.data() + page * page_size + tag_offset) != page_tag) return fail(errc::not_a_directory);

    // The page scan: entries start at used, flagged slots; a valid entry covers its blobs.
    for (size_t page = 0; page < d.page_count(); ++page) {
        for (size_t slot = first_entry_slot(page); slot < blobs_per_page;) {
            const size_t blob = page * blobs_per_page + slot;
            if (auto v = d.entry_at(blob)) {
                d.entries_.push_back(Entry{std::string(v->name), v->vnode, v->unique, static_cast<uint32_t>(blob)});
                slot += name_blobs(v->name.size());
                continue;
            }
            if (d.in_use(blob)) ++d.skipped_;
            ++slot;
        }
    }
    return d;
}

std::optional<Entry> Directory::lookup(std::string_view name) const {
    if (name.empty() || name.size() > max_name_len || name.find('\0') != std::string_view::npos) return std::nullopt;

    const size_t total_blobs = page_count() * blobs_per_page;
    std::vector<bool> visited(total_blobs);
    size_t blob = be16(contents_.data() + hash_offset + 2 * name_hash(name));
    bool damaged = false;
    while (blob != 0) {
        if (blob >= total_blobs || visited[blob]) {
            damaged = true;
            break;
        }
        visited[blob] = true;
        const auto v = entry_at(blob);
        if (!v) {
            damaged = true;
            break;
        }
        if (v->name == name) return Entry{std::string(v->name), v->vnode, v->unique, static_cast<uint32_t>(blob)};
        blob = v->next;
    }
    if (!damaged) return std::nullopt;

    // The chain cannot be trusted: fall back to what the page scan found.
    for (const auto& e : entries_)
        if (e.name == name) return e;
    return std::nullopt;
}

size_t Directory::memory_size() const {
    size_t n = sizeof(*this) + contents_.capacity() + entries_.capacity() * sizeof(Entry);
    for (const auto& e : entries_) n += e.name.capacity();
    return n;
}

}  // namespace afs::wire::dir
