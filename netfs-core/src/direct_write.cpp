// Unbuffered (direct) writes: the caller's buffer is the request's buffer, cut by the
// same issuer into subrequests for the upload streams (never the cache). The page cache
// is first written back and dropped over the range, so it and the server never disagree.
#include <algorithm>
#include <condition_variable>
#include <mutex>

#include "engine.hpp"

namespace netfs {

namespace {
uint64_t blocks_of(uint64_t bytes) { return (bytes + 511) / 512; }
}  // namespace

void File::write_direct_async(uint64_t pos, std::span<const std::byte> data,
                              std::function<void(std::error_code, uint64_t)> done) {
    if (!options_.streams[0].backend) {
        done(std::make_error_code(std::errc::read_only_file_system), 0);
        return;
    }
    if (std::error_code ec = invalidate(pos, pos + data.size())) {
        done(ec, 0);
        return;
    }
    WriteRequest* req = Engine::create_request(*this, Origin::unbuffered_write, pos);
    req->on_complete_ = [this, pos, done = std::move(done)](std::error_code ec, uint64_t n) {
        // Runs on the collector before the file is told the request is over: the file is alive.
        if (n > 0) {
            std::lock_guard lock(mu_);
            const uint64_t end = pos + n;
            if (end > size_) {
                blocks_ += blocks_of(end) - blocks_of(size_);
                size_ = end;
            }
            zero_point_ = std::max(zero_point_, end);
        }
        done(ec, n);
    };
    Engine::write_span(*req, pos, data.data(), data.size());
    Engine::end_issue(*req);
    Engine::put(req);
}

result<size_t> File::write_direct(uint64_t pos, std::span<const std::byte> data) {
    std::mutex m;
    std::condition_variable cv;
    bool finished = false;
    std::error_code error;
    uint64_t written = 0;
    write_direct_async(pos, data, [&](std::error_code ec, uint64_t n) {
        std::lock_guard lock(m);
        error = ec;
        written = n;
        finished = true;
        cv.notify_all();  // under the lock: the waiter cannot return and destroy cv first
    });
    std::unique_lock lock(m);
    cv.wait(lock, [&] { return finished; });
    if (error) return fail(error);
    return static_cast<size_t>(written);
}

}  // namespace netfs
