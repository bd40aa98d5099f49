#include "netfs/local_cache.hpp"

#include <fcntl.h>
#include <sys/uio.h>
#include <unistd.h>

#include <array>
#include <cerrno>

namespace netfs {

result<std::unique_ptr<LocalFileCache>> LocalFileCache::open(const std::string& path, Options options) {
    int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0) return fail({errno, std::generic_category()});
    return std::unique_ptr<LocalFileCache>(new LocalFileCache(fd, options));
}

LocalFileCache::LocalFileCache(int fd, Options options) : fd_(fd), options_(options) {
    worker_ = std::thread([this] { run(); });
}

LocalFileCache::~LocalFileCache() {
    {
        std::lock_guard lock(mu_);
        stop_ = true;
    }
    cv_.notify_all();
    worker_.join();
    ::close(fd_);
}

std::error_code LocalFileCache::prepare_write(Subrequest&, Limits& limits) {
    limits.max_len = options_.max_len;
    limits.max_segs = max_segments;
    return {};
}

void LocalFileCache::issue_write(Subrequest& sreq) {
    {
        std::lock_guard lock(mu_);
        queue_.push_back(&sreq);
    }
    cv_.notify_one();
}

void LocalFileCache::invalidate_cache(WriteRequest&, uint8_t) { valid_ = false; }

void LocalFileCache::run() {
    std::unique_lock lock(mu_);
    for (;;) {
        cv_.wait(lock, [&] { return stop_ || !queue_.empty(); });
        if (queue_.empty()) return;
        Subrequest* sreq = queue_.front();
        queue_.pop_front();
        lock.unlock();
        std::array<std::span<const std::byte>, max_segments> pieces;
        const size_t n = sreq->gather(pieces);
        std::array<iovec, max_segments> iov;
        for (size_t i = 0; i < n; ++i) iov[i] = {const_cast<std::byte*>(pieces[i].data()), pieces[i].size()};
        ssize_t w;
        do {
            w = ::pwritev(fd_, iov.data(), static_cast<int>(n), static_cast<off_t>(sreq->position()));
        } while (w < 0 && errno == EINTR);
        if (w < 0) {
            sreq->terminate({errno, std::generic_category()}, RetryHint::fail);
        } else {
            bytes_ += static_cast<uint64_t>(w);
            sreq->terminate(static_cast<uint64_t>(w));  // a short pwritev is resumed by the retryer
        }
        lock.lock();
    }
}

}  // namespace netfs
