// Where things live under a cache directory:
//
//   DIR/CACHEDIR.TAG              tells backup tools the directory holds a cache
//   DIR/v1/ab/abcdef....data      the sparse backing file (named by the SHA-256 of the key)
//   DIR/v1/ab/abcdef....meta      its metadata record (record.hpp)
//   DIR/v1/ab/abcdef....meta.tmp.PID.N   a record being written (renamed over .meta)
//
// The format version is part of the path, so a later format starts from an empty tree
// instead of misreading this one. Files are spread over 256 subdirectories to keep each
// directory small.
#pragma once

#include <string>
#include <vector>

#include "netfs/cache/cache.hpp"
#include "netfs/error.hpp"

namespace netfs::cache {

struct EntryPaths {
    std::string hash;    // 64 hex digits
    std::string subdir;  // DIR/v1/ab
    std::string data;
    std::string meta;
    // A fresh temporary name for a new record (unique in this process and among processes).
    std::string temp() const;
};

class Layout {
public:
    explicit Layout(std::string dir);
    const std::string& dir() const { return dir_; }

    // Creates the directory tree (mode 0700) and the tag file.
    std::error_code create() const;

    static std::string hash(const Key& key);
    EntryPaths entry(const Key& key) const { return entry(hash(key)); }
    EntryPaths entry(const std::string& hash) const;

    struct Listing {
        std::vector<std::string> hashes;      // every entry with a backing file or a record
        std::vector<std::string> stale_temps;  // records a dead process was writing
    };
    result<Listing> scan() const;

private:
    std::string dir_;
    std::string root_;  // DIR/v1
};

}  // namespace netfs::cache
