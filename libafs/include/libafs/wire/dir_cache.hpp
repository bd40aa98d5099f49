// Parsed directories kept by (AFSFid, data version), least recently used first out.
//
// A directory changes exactly when its data version does, so an entry is valid for as long
// as the version the caller holds (from FetchStatus, or a reply's dir_status) matches it;
// the cache itself never needs to be told about changes. Callback breaks can still drop
// entries early (erase, erase_volume) to free memory.
//
// A plain data structure: no locking, no I/O, no clock.
#pragma once

#include <cstddef>
#include <cstdint>
#include <list>
#include <memory>
#include <unordered_map>

#include "libafs/wire/dir.hpp"
#include "libafs/wire/types.hpp"

namespace afs::wire::dir {

class DirectoryCache {
public:
    // Holds at most `max_entries` directories and about `max_bytes` of them
    // (Directory::memory_size).
    explicit DirectoryCache(size_t max_entries, size_t max_bytes = SIZE_MAX)
        : max_entries_(max_entries), max_bytes_(max_bytes) {}

    // The directory at exactly that version, or null. A hit becomes the most recently used.
    std::shared_ptr<const Directory> find(const AFSFid& fid, uint64_t data_version);

    // Stores a directory, replacing whatever version of `fid` was held, then evicts the
    // least recently used entries until within bounds. A directory larger than max_bytes on
    // its own is not kept; returns whether it was.
    bool insert(const AFSFid& fid, uint64_t data_version, std::shared_ptr<const Directory> directory);

    void erase(const AFSFid& fid);
    void erase_volume(uint32_t volume);
    void clear();

    size_t size() const { return index_.size(); }
    size_t bytes() const { return bytes_; }

private:
    struct Node {
        AFSFid fid;
        uint64_t data_version;
        std::shared_ptr<const Directory> directory;
        size_t bytes;
    };
    using List = std::list<Node>;

    void erase(List::iterator it);

    size_t max_entries_;
    size_t max_bytes_;
    size_t bytes_ = 0;
    List lru_;  // front = most recently used
    std::unordered_map<AFSFid, List::iterator> index_;
};

}  // namespace afs::wire::dir
