// The persistent local cache, as netfs-core uses it.
//
// A Cache is a directory holding one sparse backing file per remote file, keyed by
// (server, volume or export, file identity) and validated against the file's coherency
// data (size, mtime, version) when opened: a mismatch discards the cached data. A
// CacheObject is one file's entry: netfs writes it as stream 1 (the cache stream) and
// reads from it what it holds. Which byte ranges are present is recorded explicitly (an
// extent map, updated when a cache write completes), never guessed from the backing file.
//
// Crash safety: an object is marked in use while open for writing; an entry found marked
// on the next open was torn by a crash and is discarded, never served.
//
// Failures never fail the user's transfer: a cache write that fails (disk full, permission)
// turns caching off for that object (usable() becomes false) and is reported as a warning.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "netfs/backend.hpp"
#include "netfs/error.hpp"

namespace netfs::cache {

// What identifies a remote file across runs. Each part is opaque text chosen by the
// protocol: 9P: server "host:port" (or the socket path), volume = the export (aname),
// file = the qid path in hex; AFS: server = the cell, volume = the volume id, file = the
// vnode.unique.
struct Key {
    std::string server;
    std::string volume;
    std::string file;
    bool operator==(const Key&) const = default;
};

// What must match for cached data to be served. A field the protocol cannot provide is
// 0 on both sides. 9P: size, mtime (ns) and the qid version / getattr data version; AFS:
// size, the server's mtime, and the data version.
struct Coherency {
    uint64_t size = 0;
    uint64_t mtime_ns = 0;
    uint64_t version = 0;
    bool operator==(const Coherency&) const = default;
};

struct Extent {
    uint64_t pos = 0, len = 0;
};

class Object : public StreamBackend {
public:
    StreamKind kind() const override { return StreamKind::cache; }

    // The coherency the entry now describes.
    virtual Coherency coherency() const = 0;
    // After the remote file changed because we wrote it (an upload through netfs), the
    // entry describes the new version: data written through stream 1 since open is kept.
    virtual void set_coherency(const Coherency& c) = 0;

    // The first present extent that ends after `pos` (it may start before pos), if any.
    virtual std::optional<Extent> next_present(uint64_t pos) const = 0;
    // Reads present bytes; reading bytes that are not present is an error.
    virtual std::error_code read(uint64_t pos, std::span<std::byte> dst) = 0;

    // False once a write failed or the entry was invalidated: nothing more is read or
    // written; netfs skips the cache stream for this file.
    virtual bool usable() const = 0;
    // Why usable() became false (for the warning), empty if it did not.
    virtual std::string failure() const = 0;
    // Discards what the entry holds (the remote file changed under us).
    virtual void invalidate() = 0;

    // Bytes read from the cache and written to it through this object.
    virtual uint64_t bytes_read() const = 0;
    virtual uint64_t bytes_written() const = 0;

    // Commits the entry: waits for cache writes in flight, persists the extent map and
    // clears the in-use mark. Called when the user is done with the file (the destructor
    // does it too). An entry not committed is discarded on its next open.
    virtual std::error_code commit() = 0;
};

struct Options {
    uint64_t size_limit = 0;      // bytes of cached data allowed (0: no limit)
    uint64_t max_write = 1u << 20;  // bytes per cache write (stream 1 subrequests)
};

struct EntryInfo {
    Key key;
    Coherency coherency;
    uint64_t cached_bytes = 0;    // bytes present
    uint64_t backing_bytes = 0;   // disk space used by the backing file
    int64_t last_used = 0;        // Unix seconds
    bool in_use = false;          // open right now, or torn by a crash
};

struct Stats {
    uint64_t entries = 0, cached_bytes = 0, backing_bytes = 0, size_limit = 0;
    uint64_t hits = 0, misses = 0;               // since the cache was opened
    uint64_t culled_entries = 0, culled_bytes = 0, discarded_torn = 0, discarded_stale = 0;
};

class Cache {
public:
    // Opens (creating) the cache directory. Several processes may use one directory
    // (entries are locked while open); the index survives crashes.
    static result<std::unique_ptr<Cache>> open(const std::string& dir, Options options);
    virtual ~Cache() = default;

    // The entry for a file whose current coherency is `now`: an existing entry whose
    // stored coherency differs, or which a crash left in use, starts empty. Culls other
    // entries, least recently used first, to stay under the size limit. An error means no
    // caching for this file (the caller warns and goes on without it).
    virtual result<std::shared_ptr<Object>> open_object(const Key& key, const Coherency& now) = 0;

    virtual Stats stats() const = 0;
    virtual std::vector<EntryInfo> list() const = 0;
    // Removes every entry not in use; returns how many.
    virtual result<size_t> clear() = 0;
    // Culls down to the size limit now.
    virtual std::error_code cull() = 0;
};

}  // namespace netfs::cache
