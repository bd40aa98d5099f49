// netcp's transfers through netfs-core: one engine context per run (its stats and trace),
// the persistent cache if --cache is given, and for each file a netfs File whose upload
// stream is the protocol's adapter (9P or AFS), whose reader is the protocol's read side
// and whose stream 1 is the file's cache entry.
#pragma once

#include <cstdint>
#include <cstdio>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <system_error>

#include "lib9p/message.hpp"
#include "netfs/backend.hpp"
#include "netfs/cache/cache.hpp"
#include "netfs/context.hpp"
#include "netfs/rate_limit.hpp"
#include "netfs/read.hpp"
#include "options.hpp"

namespace netcp {

// What names a 9P file in the cache: the server, the export and the file's qid path.
netfs::cache::Key cache_key(const std::string& endpoint, const std::string& aname, const p9::Qid& qid);
// What must still match for cached data to be served: size, mtime, and the versions
// the server reports (diod reports 0 for both; the size and mtime still catch changes).
netfs::cache::Coherency cache_coherency(const p9::Rgetattr& attr);

// The folio size of uploads: a resumed upload starts on a multiple of it, so no folio
// has to be read back first.
inline constexpr uint32_t upload_folio_size = 256u << 10;

// Where a resumed transfer starts, and what to tell its journal as data lands.
struct ResumePoint {
    uint64_t from = 0;  // bytes [0, from) are at the destination already
    // [pos, pos + len) reached the destination (uploads: every stream acknowledged it;
    // downloads: written locally). Called on engine threads for uploads.
    std::function<void(uint64_t pos, uint64_t len)> stored;
};

class Engine {
public:
    // Warnings go to `reporter` (stderr and --json), and its progress display is kept up
    // to date; without one they are printed on stderr.
    explicit Engine(const Options& options, class Reporter* reporter = nullptr);
    ~Engine();
    Engine(const Engine&) = delete;
    Engine& operator=(const Engine&) = delete;

    // Opening the trace file can fail; the message says why. (A cache that cannot be
    // opened is a warning, not an error: the copy goes on without it.)
    std::string open_error() const { return open_error_; }

    // The cache entry for a remote file, or null without --cache or when the cache cannot
    // take it (a warning says why; the transfer goes on without caching).
    std::shared_ptr<netfs::cache::Object> cache_object(const netfs::cache::Key& key,
                                                       const netfs::cache::Coherency& now, const std::string& what);
    // Ends a file's caching: commits the entry, or drops it if `keep` is false (the
    // transfer failed), and warns once if caching had to stop for it.
    void finish_cache(netfs::cache::Object* object, bool keep, const std::string& what);

    // Writes `size` bytes read from local `fd` to the remote file `backend` stores into
    // (a new, empty file), buffered, write-through or direct as the options say, with up
    // to `in_flight` bytes outstanding, and returns once they all reached the server (or
    // the first error). With `cache`, the data goes to it too, in the same pass (stream 1).
    // `stop` is polled between chunks (SIGINT). With `resume`, it starts at `resume.from`
    // (a multiple of upload_folio_size) of a file that holds the bytes before it.
    std::error_code upload(int fd, uint64_t size, netfs::StreamBackend& backend, uint64_t in_flight,
                           netfs::cache::Object* cache, bool (*stop)(), const ResumePoint& resume = {});

    // Reads the remote file `reader` reads (`size` bytes on the server) into local `fd`
    // through netfs-core's buffered reads: what `cache` holds is served from it, the rest
    // is read from the server and copied to the cache by writeback. Returns the bytes read,
    // from `resume.from` on (the local file holds those before it).
    netfs::result<uint64_t> download(netfs::ReadBackend& reader, uint64_t size, netfs::cache::Object* cache, int fd,
                                     bool (*stop)(), const ResumePoint& resume = {});

    // The progress display to keep up to date, or null.
    class Progress* progress() const;
    // Where messages and events go, or null.
    class Reporter* reporter() const { return reporter_; }
    // A warning, to the reporter (or stderr without one).
    void warn(const std::string& message) const;

    // The engine's counters, for --stats.
    std::string stats_text() const;

private:
    std::error_code upload_buffered(int fd, uint64_t from, uint64_t size, class netfs::File& file, bool through,
                                    bool (*stop)());
    std::error_code upload_direct(int fd, const ResumePoint& resume, uint64_t size, netfs::File& file, bool (*stop)());

    const Options& options_;
    Reporter* reporter_;
    std::shared_ptr<netfs::RateLimiter> rate_limit_;  // --bwlimit: every transfer of the run shares it
    std::unique_ptr<netfs::Context> ctx_;
    std::unique_ptr<netfs::cache::Cache> cache_;
    std::FILE* trace_ = nullptr;
    std::mutex trace_mu_;
    std::string open_error_;
    mutable std::mutex stats_mu_;  // files run in several threads (--transfers)
    size_t max_streams_used_ = 1;
    netfs::ReadStats read_stats_;
    bool downloaded_ = false;
};

}  // namespace netcp
