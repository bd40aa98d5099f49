// netcp's uploads through netfs-core: one engine context per run (its stats and trace),
// and for each uploaded file a netfs File whose upload stream is the 9P adapter.
#pragma once

#include <cstdint>
#include <cstdio>
#include <memory>
#include <mutex>
#include <string>
#include <system_error>

#include "lib9p/netfs_backend.hpp"
#include "netfs/context.hpp"
#include "options.hpp"

namespace netcp {

class WriteEngine {
public:
    explicit WriteEngine(const Options& options);
    ~WriteEngine();
    WriteEngine(const WriteEngine&) = delete;
    WriteEngine& operator=(const WriteEngine&) = delete;

    // Opening the trace file can fail; the message says why.
    std::string open_error() const { return open_error_; }

    // Writes `size` bytes read from local `fd` to the open remote file, buffered,
    // write-through or direct as the options say, and returns once they all reached the
    // server (or the first error). `stop` is polled between chunks (SIGINT).
    std::error_code upload(int fd, uint64_t size, p9::NetfsWriteBackend::Handle handle, bool (*stop)());

    // The engine's counters, for --stats.
    std::string stats_text() const;

private:
    std::error_code upload_buffered(int fd, uint64_t size, class netfs::File& file, bool through, bool (*stop)());
    std::error_code upload_direct(int fd, uint64_t size, netfs::File& file, bool (*stop)());

    const Options& options_;
    std::unique_ptr<netfs::Context> ctx_;
    std::FILE* trace_ = nullptr;
    std::mutex trace_mu_;
    std::string open_error_;
    size_t max_streams_used_ = 1;
};

}  // namespace netcp
