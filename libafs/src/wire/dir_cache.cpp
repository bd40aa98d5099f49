// An LRU list plus an index by fid.
#include "libafs/wire/dir_cache.hpp"

namespace afs::wire::dir {

std::shared_ptr<const Directory> DirectoryCache::find(const AFSFid& fid, uint64_t data_version) {
    const auto it = index_.find(fid);
    if (it == index_.end() || it->second->data_version != data_version) return nullptr;
    lru_.splice(lru_.begin(), lru_, it->second);
    return it->second->directory;
}

bool DirectoryCache::insert(const AFSFid& fid, uint64_t data_version, std::shared_ptr<const Directory> directory) {
    erase(fid);
    if (!directory) return false;
    const size_t size = directory->memory_size();
    if (size > max_bytes_ || max_entries_ == 0) return false;
    lru_.push_front(Node{fid, data_version, std::move(directory), size});
    index_.emplace(fid, lru_.begin());
    bytes_ += size;
    while (index_.size() > max_entries_ || bytes_ > max_bytes_) erase(std::prev(lru_.end()));
    return true;
}

void DirectoryCache::erase(List::iterator it) {
    bytes_ -= it->bytes;
    index_.erase(it->fid);
    lru_.erase(it);
}

void DirectoryCache::erase(const AFSFid& fid) {
    if (const auto it = index_.find(fid); it != index_.end()) erase(it->second);
}

void DirectoryCache::erase_volume(uint32_t volume) {
    for (auto it = lru_.begin(); it != lru_.end();) {
        const auto next = std::next(it);
        if (it->fid.volume == volume) erase(it);
        it = next;
    }
}

void DirectoryCache::clear() {
    lru_.clear();
    index_.clear();
    bytes_ = 0;
}

}  // namespace afs::wire::dir
