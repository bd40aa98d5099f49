// A local file as the cache stream (stream 1): each subrequest is written with pwritev at
// its own file position into a sparse local file, on a worker thread, straight from the
// page-cache folios. Enough to run two real streams side by side; the persistent cache
// with coherency and culling builds on it.
#pragma once

#include <atomic>
#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "netfs/backend.hpp"
#include "netfs/error.hpp"

namespace netfs {

class LocalFileCache final : public StreamBackend {
public:
    struct Options {
        uint64_t max_len = 1u << 20;  // bytes per cache write
    };
    // Creates (or opens) the backing file.
    static result<std::unique_ptr<LocalFileCache>> open(const std::string& path, Options options);
    static result<std::unique_ptr<LocalFileCache>> open(const std::string& path) { return open(path, Options{}); }
    ~LocalFileCache() override;

    StreamKind kind() const override { return StreamKind::cache; }
    const char* name() const override { return "local cache"; }
    std::error_code prepare_write(Subrequest& sreq, Limits& limits) override;
    void issue_write(Subrequest& sreq) override;
    void invalidate_cache(WriteRequest& req, uint8_t stream) override;

    // False once a write failed: what the file holds must not be trusted.
    bool valid() const { return valid_.load(); }
    uint64_t bytes_written() const { return bytes_.load(); }
    int fd() const { return fd_; }

private:
    LocalFileCache(int fd, Options options);
    void run();

    int fd_;
    Options options_;
    std::atomic<bool> valid_{true};
    std::atomic<uint64_t> bytes_{0};
    std::mutex mu_;
    std::condition_variable cv_;
    std::deque<Subrequest*> queue_;
    bool stop_ = false;
    std::thread worker_;
};

}  // namespace netfs
