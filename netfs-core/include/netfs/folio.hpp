// Buffer pages ("folios") of a file's page cache: variable power-of-two sizes from 4 KiB
// to 1 MiB, aligned to their size, refcounted so a write request can keep one alive
// while the page cache drops or replaces it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <system_error>

namespace netfs {

inline constexpr uint32_t min_folio_size = 4096;
inline constexpr uint32_t max_folio_size = 1u << 20;

struct Folio {
    Folio(uint64_t pos_, uint32_t size_, std::shared_ptr<std::byte[]> data_)
        : pos(pos_), size(size_), data(std::move(data_)) {}

    const uint64_t pos;
    const uint32_t size;
    const std::shared_ptr<std::byte[]> data;  // `size` bytes

    // State: read and written only under the owning file's page lock.
    bool dirty = false;          // holds data the server (or a stream) has not been sent
    bool writeback = false;      // a write request is sending it; writers into it wait
    bool uptodate = false;       // every byte of the folio is valid
    bool copy_to_cache = false;  // clean server data that only the cache stream must store
    bool reading = false;        // being filled by a read; readers wait for it
    bool read_failed = false;    // the read that was filling it failed (it left the page cache)
    std::error_code read_error;  // why, for the reader that waited on it
    // A streaming write: the folio is not uptodate and only [valid_off, valid_off+valid_len)
    // holds data (we never read the rest from the server just to write part of a folio).
    uint32_t valid_off = 0, valid_len = 0;
    // Clean folios sit on the file's LRU list, least recently used first (intrusive: ending
    // writeback must not allocate).
    Folio* lru_prev = nullptr;
    Folio* lru_next = nullptr;
    bool in_lru = false;

    bool streaming() const { return !uptodate && valid_len > 0; }
    uint64_t end() const { return pos + size; }
};

using FolioRef = std::shared_ptr<Folio>;

}  // namespace netfs
