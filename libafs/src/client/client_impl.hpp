// The state behind a Client, shared by its operations (which hold it alive until they end).
#pragma once

#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "connection_pool.hpp"
#include "libafs/client/client.hpp"
#include "libafs/wire/dir_cache.hpp"
#include "volume_locator.hpp"

namespace afs::client {

namespace detail {

struct CellState {
    std::shared_ptr<VolumeLocator> locator;
    wire::dir::DirectoryCache directories;  // guarded by Client::Impl::mutex
    CellState(std::shared_ptr<VolumeLocator> l, size_t entries, size_t bytes)
        : locator(std::move(l)), directories(entries, bytes) {}
};

}  // namespace detail

struct Client::Impl : std::enable_shared_from_this<Client::Impl> {
    asio::any_io_executor executor;
    ClientOptions options;
    std::shared_ptr<rx::Transport> transport;
    std::shared_ptr<detail::ConnectionPool> pool;
    CallbackIdentity callback_identity;

    std::shared_ptr<std::atomic<uint64_t>> vl_calls = std::make_shared<std::atomic<uint64_t>>(0);
    std::atomic<uint64_t> fs_calls{0}, busy_retries{0}, relocations{0}, failovers{0};
    std::atomic<uint64_t> directory_hits{0}, directory_misses{0};

    mutable std::mutex mutex;
    std::map<std::string, std::shared_ptr<detail::CellState>> cells;
    std::map<uint32_t, uint64_t> callbacks_served;

    std::shared_ptr<detail::CellState> cell(const std::string& name) const;
    void add_cell(CellConfig config);

    // The callback service: one incoming call.
    void serve_callback(std::shared_ptr<rx::Call> call);
    void on_callback_event(const CallbackEvent& event);

    // Building blocks shared by the public operations and path resolution.
    void fetch_status(Identity who, FileRef file, Outcome outcome, Completion<StatusReply> done);
    void fetch_data(Identity who, FileRef file, uint64_t position, std::vector<std::span<std::byte>> buffers,
                    Outcome outcome, Completion<FetchReply> done);
    void store_data(Identity who, FileRef file, StoreParams params, std::vector<std::span<const std::byte>> pieces,
                    Outcome outcome, Completion<StoreReply> done);
    // A directory's contents at `status`'s data version, from the cache or fetched.
    void read_directory(Identity who, FileRef dir, const wire::AFSFetchStatus& status, Outcome outcome,
                        Completion<DirectoryReply> done);
    // A volume by name (a .readonly/.backup suffix picks that type) or numeric id.
    void lookup_volume(const std::string& cell, const std::string& volume,
                       std::function<void(std::error_code, std::shared_ptr<const LocatedVolume>, Outcome)> done);
};

// A reply that carries only its Outcome (on failure).
template <class Reply>
Reply reply_with(Outcome outcome) {
    Reply r;
    r.outcome = std::move(outcome);
    return r;
}

// The Outcome an operation starts with.
Outcome make_outcome(std::string_view operation, std::string target, const Identity& who);

}  // namespace afs::client
