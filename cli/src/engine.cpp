#include "engine.hpp"

#include <unistd.h>

#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <sstream>
#include <vector>

#include "local_io.hpp"
#include "progress.hpp"
#include "report.hpp"
#include "netfs/file.hpp"

namespace netcp {

namespace {

constexpr size_t chunk_size = 1u << 20;        // buffered and write-through: read and write 1 MiB at a time
constexpr size_t direct_chunk = 4u << 20;      // direct: each write is its own request of 4 MiB
constexpr size_t direct_window = 4;            // direct writes in flight
constexpr size_t read_chunk = 1u << 20;        // downloads through netfs: read and write 1 MiB at a time

}  // namespace

netfs::cache::Key cache_key(const std::string& endpoint, const std::string& aname, const p9::Qid& qid) {
    char hex[17];
    std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(qid.path));
    return {endpoint, aname, hex};
}

netfs::cache::Coherency cache_coherency(const p9::Rgetattr& attr) {
    netfs::cache::Coherency c;
    c.size = attr.size;
    c.mtime_ns = attr.mtime_sec * 1'000'000'000ull + attr.mtime_nsec;
    // Either version changes when the data does; keep both.
    c.version = (uint64_t(attr.qid.version) << 32) ^ attr.data_version;
    return c;
}

Engine::Engine(const Options& options, Reporter* reporter) : options_(options), reporter_(reporter) {
    netfs::ContextOptions co;
    if (options_.bwlimit > 0) {
        // A signal ends the waits at once: an interrupted copy drains what is in flight.
        rate_limit_ = std::make_shared<netfs::RateLimiter>(options_.bwlimit, std::chrono::milliseconds(100),
                                                           [] { return interrupted(); });
        co.rate_limit = rate_limit_;
    }
    ctx_ = std::make_unique<netfs::Context>(co);
    if (!options_.cache_dir.empty()) {
        netfs::cache::Options cop;
        cop.size_limit = options_.cache_size;
        auto c = netfs::cache::Cache::open(options_.cache_dir, cop);
        if (c) cache_ = std::move(*c);
        else if (c.error() == netfs::errc::cache_not_private)
            // Anyone who can write there could make netcp hand out their bytes as the
            // server's: refuse, and say how to fix it.
            open_error_ = "refusing the cache '" + options_.cache_dir + "': " + c.error().message() +
                          "; make it yours and private (chmod 700 '" + options_.cache_dir +
                          "'), or choose another --cache";
        else warn("cannot use the cache '" + options_.cache_dir + "': " + c.error().message() + "; copying without it");
    }
    if (!options_.trace_file.empty()) {
        trace_ = std::fopen(options_.trace_file.c_str(), "w");
        if (!trace_) {
            open_error_ = "cannot write the trace file '" + options_.trace_file + "': " + std::strerror(errno);
        } else {
            ctx_->set_trace([this](const netfs::TraceRecord& r) {
                const std::string line = netfs::to_json(r);
                std::lock_guard lock(trace_mu_);
                std::fputs(line.c_str(), trace_);
                std::fputc('\n', trace_);
            });
        }
    }
}

Engine::~Engine() {
    ctx_.reset();  // no more trace events after this
    if (trace_) std::fclose(trace_);
}

Progress* Engine::progress() const { return reporter_ ? reporter_->progress() : nullptr; }

void Engine::warn(const std::string& message) const {
    if (reporter_) reporter_->warn(message);
    else if (options_.verbosity > 0) print_message("netcp: warning: " + message + "\n");
}

std::shared_ptr<netfs::cache::Object> Engine::cache_object(const netfs::cache::Key& key,
                                                           const netfs::cache::Coherency& now,
                                                           const std::string& what) {
    if (!cache_) return nullptr;
    auto obj = cache_->open_object(key, now);
    if (!obj) {
        const auto ec = obj.error();
        const std::string why = ec == std::errc::file_too_large ? "it is larger than --cache-size"
                                : ec == std::errc::device_or_resource_busy
                                    ? "another netcp is using its entry in " + options_.cache_dir
                                    : ec.message() + " (cache " + options_.cache_dir + ")";
        warn("not caching " + what + ": " + why);
        return nullptr;
    }
    return std::move(*obj);
}

void Engine::finish_cache(netfs::cache::Object* object, bool keep, const std::string& what) {
    if (!object) return;
    if (!keep) object->invalidate();
    if (!object->usable() && keep) warn("stopped caching " + what + ": " + object->failure());
    if (auto ec = object->commit(); ec && object->usable()) warn("cannot keep " + what + " in the cache: " + ec.message());
}

std::string Engine::stats_text() const {
    std::lock_guard lock(stats_mu_);
    std::ostringstream os;
    os << ctx_->stats().to_string(max_streams_used_);
    if (downloaded_) {
        // key=value, so that scripts (and our tests) can check where the data came from.
        os << "read: server_bytes=" << read_stats_.from_server << " server_reads=" << read_stats_.server_reads
           << " cache_bytes=" << read_stats_.from_cache << " not_cached_bytes=" << read_stats_.cache_skipped << "\n";
    }
    if (cache_) {
        const auto st = cache_->stats();
        os << "cache: entries=" << st.entries << " cached_bytes=" << st.cached_bytes << " disk_bytes=" << st.backing_bytes
           << " limit_bytes=" << st.size_limit << " hits=" << st.hits << " misses=" << st.misses
           << " culled_entries=" << st.culled_entries << " discarded_stale=" << st.discarded_stale
           << " discarded_torn=" << st.discarded_torn << "\n";
    }
    return os.str();
}

std::error_code Engine::upload(int fd, uint64_t size, netfs::StreamBackend& backend, uint64_t in_flight,
                               netfs::cache::Object* cache, bool (*stop)(), const ResumePoint& resume) {
    netfs::FileOptions fo;
    fo.streams = {{&backend, in_flight}};
    fo.on_stored = resume.stored;
    if (cache) {
        fo.cache = cache;  // stream 1: the same pages go to the cache in the same pass
        std::lock_guard lock(stats_mu_);
        max_streams_used_ = 2;
    }
    fo.folio_size = upload_folio_size;
    // A new (temporary) file: the server holds nothing yet, or, resumed, the bytes before
    // `from` (folio-aligned, so no folio needs reading back first).
    fo.remote_size = resume.from;
    fo.dirty_background = 4u << 20;
    fo.dirty_limit = 32u << 20;
    fo.cache_limit = 16u << 20;  // an upload does not read back: keep little
    netfs::File file(*ctx_, fo);
    // The progress display counts what the server acknowledged for this file, not what
    // was handed over (the context's counters are every file's: --transfers).
    Progress* progress = this->progress();
    if (progress) progress->set_file_source([&file] { return file.bytes_acknowledged(); });
    std::error_code ec;
    switch (options_.write_mode) {
        case Options::WriteMode::direct: ec = upload_direct(fd, resume, size, file, stop); break;
        case Options::WriteMode::write_through: ec = upload_buffered(fd, resume.from, size, file, true, stop); break;
        default: ec = upload_buffered(fd, resume.from, size, file, false, stop); break;
    }
    // Everything written must reach the server before we call it done; after a failure,
    // flush still drains what is in flight (and its own error is not the first one).
    std::error_code fec = file.flush();
    if (progress) {
        // `file` goes now: its final count stays until the file ends (never back to zero
        // between the flush and the rename).
        progress->set_file_source({});
        progress->add(file.bytes_acknowledged());
    }
    return ec ? ec : fec;
}

netfs::result<uint64_t> Engine::download(netfs::ReadBackend& reader, uint64_t size, netfs::cache::Object* cache,
                                         int fd, bool (*stop)(), const ResumePoint& resume) {
    netfs::FileOptions fo;
    fo.reader = &reader;
    fo.cache = cache;
    fo.remote_size = size;
    fo.folio_size = 256u << 10;
    fo.readahead_max = 8u << 20;
    fo.cache_backlog_limit = 64u << 20;  // beyond this the cache is skipped, never waited for
    // Read once and written out, so keep little; but the limit counts folios waiting to be
    // copied to the cache too, so it must hold that backlog plus the readahead window, or
    // folios read ahead are dropped before the reader gets them and read twice.
    fo.cache_limit = fo.cache_backlog_limit + 2 * fo.readahead_max;
    fo.dirty_background = 4u << 20;      // copy-to-cache starts early, in the background
    if (cache) {
        std::lock_guard lock(stats_mu_);
        max_streams_used_ = std::max<size_t>(max_streams_used_, 2);
    }
    if (rate_limit_) {
        // Readahead runs ahead of the limit by its window once; keep that to a fraction
        // of a second's worth.
        fo.readahead_max = std::clamp<uint64_t>(options_.bwlimit / 4, 256u << 10, fo.readahead_max);
    }
    netfs::File file(*ctx_, fo);
    std::vector<std::byte> buf(read_chunk);
    uint64_t pos = resume.from;
    std::error_code ec;
    while (pos < size) {
        if (stop()) {
            ec = std::make_error_code(std::errc::interrupted);
            break;
        }
        const size_t want = static_cast<size_t>(std::min<uint64_t>(buf.size(), size - pos));
        auto got = file.read(pos, std::span(buf).first(want));
        if (!got) {
            ec = got.error();
            break;
        }
        if (*got == 0) {  // cannot happen below the size netfs knows; never call it the end
            ec = make_error_code(netfs::errc::remote_changed);
            break;
        }
        if ((ec = write_fully(fd, pos, std::span(buf).first(*got)))) break;
        if (resume.stored) resume.stored(pos, *got);
        pos += *got;
        if (Progress* p = progress()) p->add(*got);
    }
    // Copy-to-cache writeback finishes before the entry is committed; its failures only
    // turn caching off (the cache object says so), they never fail the download.
    (void)file.flush();
    const auto rs = file.read_stats();
    std::lock_guard lock(stats_mu_);
    read_stats_.from_server += rs.from_server;
    read_stats_.from_cache += rs.from_cache;
    read_stats_.server_reads += rs.server_reads;
    read_stats_.cache_skipped += rs.cache_skipped;
    downloaded_ = true;
    if (ec) return netfs::fail(ec);
    return pos;
}

std::error_code Engine::upload_buffered(int fd, uint64_t from, uint64_t size, netfs::File& file, bool through,
                                        bool (*stop)()) {
    // The page cache is filled straight from the local file (pread into the folios): one
    // copy, as the kernel's own write path makes.
    const netfs::File::Filler fill = [fd](uint64_t pos, std::span<std::byte> dst) { return read_fully(fd, pos, dst); };
    for (uint64_t pos = from; pos < size;) {
        if (stop()) return std::make_error_code(std::errc::interrupted);
        const uint64_t n = std::min<uint64_t>(chunk_size, size - pos);
        auto r = through ? file.write_through_from(pos, n, fill) : file.write_from(pos, n, fill);
        if (!r) return r.error();
        pos += *r;
    }
    return {};
}

std::error_code Engine::upload_direct(int fd, const ResumePoint& resume, uint64_t size, netfs::File& file,
                                      bool (*stop)()) {
    // A few buffers, each sent as one unbuffered request while the next is read.
    struct Slot {
        std::vector<std::byte> buf;
        bool busy = false;
    };
    std::vector<Slot> slots(direct_window);
    std::mutex m;
    std::condition_variable cv;
    std::error_code first;
    size_t busy = 0;
    auto wait_free = [&](std::unique_lock<std::mutex>& lock) { cv.wait(lock, [&] { return busy < slots.size(); }); };
    for (uint64_t pos = resume.from; pos < size;) {
        Slot* slot = nullptr;
        {
            std::unique_lock lock(m);
            wait_free(lock);
            if (first) break;
            for (auto& s : slots)
                if (!s.busy) {
                    slot = &s;
                    break;
                }
            slot->busy = true;
            ++busy;
        }
        if (stop()) {
            std::lock_guard lock(m);
            if (!first) first = std::make_error_code(std::errc::interrupted);
            slot->busy = false;
            --busy;
            break;
        }
        const size_t n = static_cast<size_t>(std::min<uint64_t>(direct_chunk, size - pos));
        slot->buf.resize(n);
        if (auto ec = read_fully(fd, pos, slot->buf)) {
            std::lock_guard lock(m);
            if (!first) first = ec;
            slot->busy = false;
            --busy;
            break;
        }
        file.write_direct_async(pos, slot->buf, [&, slot, n, pos](std::error_code ec, uint64_t written) {
            if (!ec && written == n && resume.stored) resume.stored(pos, n);
            std::lock_guard lock(m);
            if (!ec && written != n) ec = std::make_error_code(std::errc::io_error);
            if (ec && !first) first = ec;
            slot->busy = false;
            --busy;
            cv.notify_all();  // under the lock: the waiter owns cv and m
        });
        pos += n;
    }
    std::unique_lock lock(m);
    cv.wait(lock, [&] { return busy == 0; });
    return first;
}

}  // namespace netcp
