// Fakes for the read path: a server that serves reads from a byte array (inline or on a
// worker thread, with fault injection), and an in-memory cache object with an extent map.
#pragma once

#include <atomic>
#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>
#include <thread>
#include <vector>

#include "netfs/cache/cache.hpp"
#include "netfs/read.hpp"

namespace testnetfs {

class FakeReader : public netfs::ReadBackend {
public:
    explicit FakeReader(std::vector<std::byte> content, uint64_t max_read = 64 << 10, bool threaded = false);
    ~FakeReader() override;
    uint64_t max_read() const override { return max_read_; }
    void read(uint64_t pos, std::span<std::byte> dst, std::function<void(std::error_code, size_t)> done) override;

    std::atomic<uint64_t> reads{0}, bytes{0};
    std::atomic<int> fail_next{0};  // the next N reads fail with EIO
    // A server that answers with fewer bytes than asked (1..short_max, varying; 0: never),
    // and one whose file now ends at end_at although the reader was told a larger size.
    std::atomic<size_t> short_max{0};
    std::atomic<uint64_t> end_at{UINT64_MAX};
    std::vector<std::byte> content;

private:
    struct Job {
        uint64_t pos;
        std::span<std::byte> dst;
        std::function<void(std::error_code, size_t)> done;
    };
    void serve(Job j);
    uint64_t max_read_;
    std::mutex mu_;
    std::condition_variable cv_;
    std::deque<Job> jobs_;
    bool stop_ = false;
    std::thread worker_;
};

class FakeCache : public netfs::cache::Object {
public:
    explicit FakeCache(size_t size);
    ~FakeCache() override;

    std::error_code prepare_write(netfs::Subrequest& sreq, netfs::Limits& limits) override;
    void issue_write(netfs::Subrequest& sreq) override;
    void invalidate_cache(netfs::WriteRequest& req, uint8_t stream) override;

    netfs::cache::Coherency coherency() const override { return coh_; }
    void set_coherency(const netfs::cache::Coherency& c) override { coh_ = c; }
    std::optional<netfs::cache::Extent> next_present(uint64_t pos) const override;
    std::error_code read(uint64_t pos, std::span<std::byte> dst) override;
    bool usable() const override { return usable_; }
    std::string failure() const override { return usable_ ? "" : "injected failure"; }
    void invalidate() override;
    uint64_t bytes_read() const override { return read_; }
    uint64_t bytes_written() const override { return written_; }
    std::error_code commit() override { return {}; }

    std::vector<std::byte> data;
    std::atomic<bool> fail_writes{false};
    // Manual mode: writes wait until release() is called (a cache that falls behind).
    std::atomic<bool> hold{false};
    void release();

private:
    void add_extent(uint64_t pos, uint64_t len);
    mutable std::mutex mu_;
    std::condition_variable cv_;
    std::map<uint64_t, uint64_t> extents_;  // pos -> end
    netfs::cache::Coherency coh_;
    std::atomic<bool> usable_{true};
    std::atomic<uint64_t> read_{0}, written_{0};
    std::deque<netfs::Subrequest*> queue_;
    bool stop_ = false;
    std::thread worker_;
};

}  // namespace testnetfs
