// Writing AFS directory objects the way the fileserver lays them out: for fake fileservers
// in tests, and to check the reader against the allocation rules.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <system_error>
#include <vector>

#include "libafs/wire/dir.hpp"

namespace afs::wire::dir {

class DirectoryBuilder {
public:
    // A new directory holding "." (itself) and ".." (its parent; a volume root is its own
    // parent, vnode 1 unique 1), as MakeDir creates it.
    DirectoryBuilder(uint32_t self_vnode, uint32_t self_unique, uint32_t parent_vnode, uint32_t parent_unique);

    // Adds an entry in the first page with a long enough run of free blobs (adding a page if
    // none has one) and puts it at the head of its hash chain. A name that is empty, longer
    // than 256 bytes, or holds '/' or NUL, or that is already present, is errc::bad_value;
    // a directory that would need more than 1023 pages is errc::too_large.
    std::error_code add(std::string_view name, uint32_t vnode, uint32_t unique);

    // Unlinks an entry and frees its blobs, leaving its bytes behind as the fileserver does.
    // A name that is not present is std::errc::no_such_file_or_directory.
    std::error_code remove(std::string_view name);

    const std::vector<std::byte>& bytes() const { return bytes_; }
    size_t page_count() const { return bytes_.size() / page_size; }

private:
    void add_page();
    bool in_use(size_t blob) const;
    void set_in_use(size_t blob, bool used);
    size_t free_blobs(size_t page) const;
    void update_alloc_map(size_t page);
    uint16_t get16(size_t offset) const;
    void put16(size_t offset, uint16_t v);
    void put32(size_t offset, uint32_t v);
    // The blob where `name`'s entry starts, and the blob whose `next` points to it (0 when
    // it heads its chain); 0 when absent.
    std::pair<size_t, size_t> find(std::string_view name) const;

    std::vector<std::byte> bytes_;
};

}  // namespace afs::wire::dir
