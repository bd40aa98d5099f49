// Rx connections kept per (server, service, identity) and shared by calls.
//
// An Rx connection carries 4 calls at once and, for rxkad, costs a CHALLENGE/RESPONSE
// round trip when it starts: connections are reused, and a key up to `per_key` are opened
// when every existing one has 4 calls running. A lease says a call is using a connection;
// a connection that failed as a whole (a rejected ticket, a closed transport) is marked
// broken and never handed out again. Idle connections beyond `max_idle` are closed, oldest
// first, so switching through many identities does not pile them up.
//
// Thread-safe.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <tuple>
#include <vector>

#include <asio/ip/udp.hpp>

#include "libafs/client/identity.hpp"
#include "libafs/rx/transport.hpp"

namespace afs::client::detail {

class ConnectionPool : public std::enable_shared_from_this<ConnectionPool> {
    struct Entry;

public:
    // Rx gives each connection 4 call channels.
    static constexpr size_t channels_per_connection = 4;

    ConnectionPool(std::shared_ptr<rx::Transport> transport, size_t per_key, size_t max_idle);

    class Lease {
    public:
        Lease() = default;
        Lease(Lease&& other) noexcept = default;
        Lease& operator=(Lease&& other) noexcept;
        Lease(const Lease&) = delete;
        Lease& operator=(const Lease&) = delete;
        ~Lease() { release(); }

        const std::shared_ptr<rx::Connection>& connection() const;
        // The connection failed as a whole: close it once its calls are done.
        void mark_broken();
        void release();

    private:
        friend class ConnectionPool;
        Lease(std::shared_ptr<ConnectionPool> pool, std::shared_ptr<Entry> entry)
            : pool_(std::move(pool)), entry_(std::move(entry)) {}
        std::shared_ptr<ConnectionPool> pool_;
        std::shared_ptr<Entry> entry_;
    };

    Lease acquire(const asio::ip::udp::endpoint& server, uint16_t service, const Identity& identity);

    uint64_t opened() const;
    size_t size() const;
    // Drops every connection (their calls end with not_connected).
    void clear();

private:
    struct Entry {
        std::shared_ptr<rx::Connection> connection;
        Identity identity;  // keeps the security class (the key's pointer) alive
        size_t active = 0;
        bool broken = false;
        std::chrono::steady_clock::time_point last_used;
    };
    using Key = std::tuple<asio::ip::udp::endpoint, uint16_t, uintptr_t>;

    void release(const std::shared_ptr<Entry>& entry);
    void close_idle_locked();

    std::shared_ptr<rx::Transport> transport_;
    size_t per_key_;
    size_t max_idle_;
    mutable std::mutex mutex_;
    std::map<Key, std::vector<std::shared_ptr<Entry>>> entries_;
    uint64_t opened_ = 0;
};

}  // namespace afs::client::detail
