// The VL side of one cell: volume name or id -> LocatedVolume (sites and fileserver
// endpoints), cached for a while, with multi-homed servers' addresses fetched by UUID.
//
// Lookups go to the cell's VL servers in order over rxnull (anonymous lookups are allowed),
// VL_GetEntryByNameU first (VL_GetEntryByNameN for a server that does not know it), then
// VL_GetAddrsU for each server UUID not known yet. A VL server that does not answer is
// skipped for the next. Thread-safe.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "connection_pool.hpp"
#include "libafs/client/cell_config.hpp"
#include "libafs/client/outcome.hpp"
#include "libafs/client/volume_sites.hpp"

namespace afs::client::detail {

class VolumeLocator : public std::enable_shared_from_this<VolumeLocator> {
public:
    using Done = std::function<void(std::error_code, std::shared_ptr<const LocatedVolume>, Outcome)>;

    VolumeLocator(CellConfig cell, std::shared_ptr<ConnectionPool> pool, std::chrono::seconds ttl,
                  std::shared_ptr<std::atomic<uint64_t>> vl_calls, bool uuid_interface, uint16_t fileserver_port);

    // A volume by name (without a .readonly/.backup suffix) or by decimal id.
    void locate(const std::string& name_or_id, Done done);
    void locate(uint32_t volume_id, Done done) { locate(std::to_string(volume_id), std::move(done)); }
    // The volume moved or vanished: ask the VL server next time.
    void forget(uint32_t volume_id);
    void set_servers(std::vector<asio::ip::udp::endpoint> servers);
    const std::string& cell() const { return cell_name_; }

private:
    struct Cached {
        std::shared_ptr<const LocatedVolume> volume;
        std::chrono::steady_clock::time_point expires;
    };
    struct Lookup;

    std::shared_ptr<const LocatedVolume> cached(const std::string& key);
    void store(const std::string& requested, const std::shared_ptr<const LocatedVolume>& volume);
    std::vector<asio::ip::udp::endpoint> servers() const;

    // One VL RPC with failover across the cell's servers.
    template <class R>
    void call(typename R::Request request, Outcome outcome,
              std::function<void(std::error_code, typename R::Reply, Outcome)> done);
    void resolve_uuids(std::shared_ptr<Lookup> lookup);
    void lookup_by_address(std::shared_ptr<Lookup> lookup, Outcome outcome);

    const std::string cell_name_;
    std::shared_ptr<ConnectionPool> pool_;
    std::chrono::seconds ttl_;
    std::shared_ptr<std::atomic<uint64_t>> vl_calls_;
    const bool uuid_interface_;
    const uint16_t fileserver_port_;

    mutable std::mutex mutex_;
    std::vector<asio::ip::udp::endpoint> servers_;
    std::map<std::string, Cached> by_key_;          // name and every id of an entry
    ServerAddresses addresses_;                     // GetAddrsU answers, by server UUID
};

}  // namespace afs::client::detail
