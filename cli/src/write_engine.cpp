#include "write_engine.hpp"

#include <unistd.h>

#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <vector>

#include "netfs/file.hpp"

namespace netcp {

namespace {

std::error_code last_errno() { return {errno, std::generic_category()}; }

// Reads exactly buf.size() bytes at pos (the file may not shrink under us).
std::error_code read_fully(int fd, uint64_t pos, std::span<std::byte> buf) {
    size_t done = 0;
    while (done < buf.size()) {
        ssize_t n = ::pread(fd, buf.data() + done, buf.size() - done, static_cast<off_t>(pos + done));
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return last_errno();
        if (n == 0) return std::make_error_code(std::errc::io_error);  // it shrank while we copied it
        done += static_cast<size_t>(n);
    }
    return {};
}

constexpr size_t chunk_size = 1u << 20;        // buffered and write-through: read and write 1 MiB at a time
constexpr size_t direct_chunk = 4u << 20;      // direct: each write is its own request of 4 MiB
constexpr size_t direct_window = 4;            // direct writes in flight

}  // namespace

WriteEngine::WriteEngine(const Options& options) : options_(options) {
    netfs::ContextOptions co;
    ctx_ = std::make_unique<netfs::Context>(co);
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

WriteEngine::~WriteEngine() {
    ctx_.reset();  // no more trace events after this
    if (trace_) std::fclose(trace_);
}

std::string WriteEngine::stats_text() const { return ctx_->stats().to_string(max_streams_used_); }

std::error_code WriteEngine::upload(int fd, uint64_t size, p9::NetfsWriteBackend::Handle handle, bool (*stop)()) {
    const uint32_t max_io = handle.client->max_io();
    p9::NetfsWriteBackend backend(handle, {options_.depth});
    netfs::FileOptions fo;
    // Enough bytes in flight to keep `depth` Twrites going.
    fo.streams = {{&backend, uint64_t(options_.depth) * max_io}};
    fo.folio_size = 256u << 10;
    fo.remote_size = 0;  // a new (temporary) file: the server holds nothing yet
    fo.dirty_background = 4u << 20;
    fo.dirty_limit = 32u << 20;
    fo.cache_limit = 16u << 20;  // an upload does not read back: keep little
    netfs::File file(*ctx_, fo);
    std::error_code ec;
    switch (options_.write_mode) {
        case Options::WriteMode::direct: ec = upload_direct(fd, size, file, stop); break;
        case Options::WriteMode::write_through: ec = upload_buffered(fd, size, file, true, stop); break;
        default: ec = upload_buffered(fd, size, file, false, stop); break;
    }
    // Everything written must reach the server before we call it done; after a failure,
    // flush still drains what is in flight (and its own error is not the first one).
    std::error_code fec = file.flush();
    return ec ? ec : fec;
}

std::error_code WriteEngine::upload_buffered(int fd, uint64_t size, netfs::File& file, bool through,
                                             bool (*stop)()) {
    // The page cache is filled straight from the local file (pread into the folios): one
    // copy, as the kernel's own write path makes.
    const netfs::File::Filler fill = [fd](uint64_t pos, std::span<std::byte> dst) { return read_fully(fd, pos, dst); };
    for (uint64_t pos = 0; pos < size;) {
        if (stop()) return std::make_error_code(std::errc::interrupted);
        const uint64_t n = std::min<uint64_t>(chunk_size, size - pos);
        auto r = through ? file.write_through_from(pos, n, fill) : file.write_from(pos, n, fill);
        if (!r) return r.error();
        pos += *r;
    }
    return {};
}

std::error_code WriteEngine::upload_direct(int fd, uint64_t size, netfs::File& file, bool (*stop)()) {
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
    for (uint64_t pos = 0; pos < size;) {
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
        file.write_direct_async(pos, slot->buf, [&, slot, n](std::error_code ec, uint64_t written) {
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
