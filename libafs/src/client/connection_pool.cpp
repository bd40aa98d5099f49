// Pooled Rx connections (see connection_pool.hpp).
#include "connection_pool.hpp"

#include <algorithm>

namespace afs::client::detail {

ConnectionPool::ConnectionPool(std::shared_ptr<rx::Transport> transport, size_t per_key, size_t max_idle)
    : transport_(std::move(transport)), per_key_(std::max<size_t>(per_key, 1)), max_idle_(max_idle) {}

ConnectionPool::Lease& ConnectionPool::Lease::operator=(Lease&& other) noexcept {
    if (this != &other) {
        release();
        pool_ = std::move(other.pool_);
        entry_ = std::move(other.entry_);
    }
    return *this;
}

const std::shared_ptr<rx::Connection>& ConnectionPool::Lease::connection() const { return entry_->connection; }

void ConnectionPool::Lease::mark_broken() {
    if (!pool_) return;
    std::lock_guard lock(pool_->mutex_);
    entry_->broken = true;
}

void ConnectionPool::Lease::release() {
    if (!pool_) return;
    auto pool = std::move(pool_);
    auto entry = std::move(entry_);
    pool_.reset();
    entry_.reset();
    pool->release(entry);
}

ConnectionPool::Lease ConnectionPool::acquire(const asio::ip::udp::endpoint& server, uint16_t service,
                                              const Identity& identity) {
    const Key key{server, service, reinterpret_cast<uintptr_t>(identity.get())};
    std::lock_guard lock(mutex_);
    auto& list = entries_[key];
    std::shared_ptr<Entry> best;
    for (const auto& e : list)
        if (!e->broken && (!best || e->active < best->active)) best = e;
    if (!best || (best->active >= channels_per_connection && list.size() < per_key_)) {
        best = std::make_shared<Entry>();
        best->connection = transport_->connect(server, service, identity);
        best->identity = identity;
        list.push_back(best);
        ++opened_;
    }
    ++best->active;
    best->last_used = std::chrono::steady_clock::now();
    close_idle_locked();
    return Lease(shared_from_this(), best);
}

void ConnectionPool::release(const std::shared_ptr<Entry>& entry) {
    std::shared_ptr<rx::Connection> closing;  // closed outside the lock
    std::lock_guard lock(mutex_);
    --entry->active;
    entry->last_used = std::chrono::steady_clock::now();
    if (entry->broken && entry->active == 0) {
        for (auto it = entries_.begin(); it != entries_.end(); ++it) {
            auto& list = it->second;
            const auto pos = std::find(list.begin(), list.end(), entry);
            if (pos == list.end()) continue;
            closing = std::move(entry->connection);
            list.erase(pos);
            if (list.empty()) entries_.erase(it);
            break;
        }
    }
    close_idle_locked();
}

void ConnectionPool::close_idle_locked() {
    // Bounded: each pass removes one idle connection.
    for (;;) {
        size_t idle = 0;
        std::shared_ptr<Entry> oldest;
        for (const auto& [key, list] : entries_)
            for (const auto& e : list)
                if (e->active == 0) {
                    ++idle;
                    if (!oldest || e->last_used < oldest->last_used) oldest = e;
                }
        if (idle <= max_idle_ || !oldest) return;
        for (auto it = entries_.begin(); it != entries_.end(); ++it) {
            auto& list = it->second;
            const auto pos = std::find(list.begin(), list.end(), oldest);
            if (pos == list.end()) continue;
            list.erase(pos);
            if (list.empty()) entries_.erase(it);
            break;
        }
    }
}

uint64_t ConnectionPool::opened() const {
    std::lock_guard lock(mutex_);
    return opened_;
}

size_t ConnectionPool::size() const {
    std::lock_guard lock(mutex_);
    size_t n = 0;
    for (const auto& [key, list] : entries_) n += list.size();
    return n;
}

void ConnectionPool::clear() {
    std::map<Key, std::vector<std::shared_ptr<Entry>>> dropped;
    {
        std::lock_guard lock(mutex_);
        dropped.swap(entries_);
    }
}

}  // namespace afs::client::detail
