// VL lookups with a cache (see volume_locator.hpp).
#include "volume_locator.hpp"

#include "libafs/client/retry_policy.hpp"
#include "libafs/wire/vl.hpp"

namespace afs::client::detail {

namespace vl = wire::vl;

VolumeLocator::VolumeLocator(CellConfig cell, std::shared_ptr<ConnectionPool> pool, std::chrono::seconds ttl,
                             std::shared_ptr<std::atomic<uint64_t>> vl_calls, bool uuid_interface,
                             uint16_t fileserver_port)
    : cell_name_(cell.name),
      pool_(std::move(pool)),
      ttl_(ttl),
      vl_calls_(std::move(vl_calls)),
      uuid_interface_(uuid_interface),
      fileserver_port_(fileserver_port),
      servers_(std::move(cell.vl_servers)) {}

void VolumeLocator::set_servers(std::vector<asio::ip::udp::endpoint> servers) {
    std::lock_guard lock(mutex_);
    servers_ = std::move(servers);
    by_key_.clear();
}

std::vector<asio::ip::udp::endpoint> VolumeLocator::servers() const {
    std::lock_guard lock(mutex_);
    return servers_;
}

std::shared_ptr<const LocatedVolume> VolumeLocator::cached(const std::string& key) {
    std::lock_guard lock(mutex_);
    const auto it = by_key_.find(key);
    if (it == by_key_.end()) return nullptr;
    if (std::chrono::steady_clock::now() >= it->second.expires) {
        by_key_.erase(it);
        return nullptr;
    }
    return it->second.volume;
}

void VolumeLocator::store(const std::string& requested, const std::shared_ptr<const LocatedVolume>& volume) {
    const Cached entry{volume, std::chrono::steady_clock::now() + ttl_};
    std::lock_guard lock(mutex_);
    by_key_[requested] = entry;
    by_key_[volume->location.name] = entry;
    for (uint32_t id : volume->location.volume_id)
        if (id != 0) by_key_[std::to_string(id)] = entry;
}

void VolumeLocator::forget(uint32_t volume_id) {
    std::lock_guard lock(mutex_);
    const auto it = by_key_.find(std::to_string(volume_id));
    if (it == by_key_.end()) return;
    const auto volume = it->second.volume;
    std::erase_if(by_key_, [&](const auto& kv) { return kv.second.volume == volume; });
}

namespace {

// One VL RPC in flight, moving to the next VL server when one does not answer.
template <class R>
struct VlCall : std::enable_shared_from_this<VlCall<R>> {
    std::shared_ptr<ConnectionPool> pool;
    std::shared_ptr<std::atomic<uint64_t>> calls;
    std::vector<std::byte> request;
    std::vector<asio::ip::udp::endpoint> servers;
    size_t index = 0;
    Outcome outcome;
    std::function<void(std::error_code, typename R::Reply, Outcome)> done;

    void attempt() {
        const auto& server = servers[index];
        outcome.server = to_string(server);
        ++outcome.attempts;
        ++*calls;
        auto lease = std::make_shared<ConnectionPool::Lease>(pool->acquire(server, vl::service_id, anonymous()));
        lease->connection()->async_call(
            request, [self = this->shared_from_this(), lease](std::error_code ec, std::vector<std::byte> reply) {
                if (ec && is_connection_error(ec)) lease->mark_broken();
                lease->release();
                if (ec && is_server_unreachable(ec) && self->index + 1 < self->servers.size()) {
                    ++self->index;
                    return self->attempt();
                }
                if (ec) return self->done(ec, {}, self->outcome);
                auto r = wire::decode_reply<R>(reply);
                if (!r) return self->done(r.error(), {}, self->outcome);
                self->done({}, std::move(*r), self->outcome);
            });
    }
};

}  // namespace

template <class R>
void VolumeLocator::call(typename R::Request request, Outcome outcome,
                         std::function<void(std::error_code, typename R::Reply, Outcome)> done) {
    outcome.operation = std::string(R::name);
    auto bytes = wire::encode_request<R>(request);
    if (!bytes) return done(bytes.error(), {}, std::move(outcome));
    auto c = std::make_shared<VlCall<R>>();
    c->servers = servers();
    if (c->servers.empty()) return done(errc::no_such_cell, {}, std::move(outcome));
    c->pool = pool_;
    c->calls = vl_calls_;
    c->request = std::move(*bytes);
    c->outcome = std::move(outcome);
    c->done = std::move(done);
    c->attempt();
}

struct VolumeLocator::Lookup {
    std::string key;
    Done done;
    vl::VolumeLocation location;
    std::vector<wire::afsUUID> uuids;
    size_t next_uuid = 0;
    Outcome outcome;
};

void VolumeLocator::locate(const std::string& name_or_id, Done done) {
    Outcome outcome;
    outcome.target = "volume " + name_or_id + " in cell " + cell_name_;
    outcome.identity = describe(anonymous());
    if (auto v = cached(name_or_id)) {
        outcome.operation = "volume lookup (cached)";
        return done({}, std::move(v), std::move(outcome));
    }
    auto lookup = std::make_shared<Lookup>();
    lookup->key = name_or_id;
    lookup->done = std::move(done);
    if (!uuid_interface_) return lookup_by_address(lookup, outcome);
    auto self = shared_from_this();
    call<vl::GetEntryByNameU>({name_or_id}, outcome,
                              [self, lookup, outcome](std::error_code ec, vl::GetEntryByNameU::Reply r, Outcome o) {
                                  // A VL server without the UUID interface: the address-based entry will do.
                                  if (ec == abort_error(abort_code::RXGEN_OPCODE))
                                      return self->lookup_by_address(lookup, outcome);
                                  lookup->outcome = std::move(o);
                                  if (ec) return lookup->done(ec, nullptr, lookup->outcome);
                                  lookup->location = vl::to_location(r.entry);
                                  lookup->uuids = uuids_to_resolve(lookup->location);
                                  self->resolve_uuids(lookup);
                              });
}

void VolumeLocator::lookup_by_address(std::shared_ptr<Lookup> lookup, Outcome outcome) {
    auto self = shared_from_this();
    call<vl::GetEntryByNameN>({lookup->key}, std::move(outcome),
                              [self, lookup](std::error_code ec, vl::GetEntryByNameN::Reply r, Outcome o) {
                                  lookup->outcome = std::move(o);
                                  if (ec) return lookup->done(ec, nullptr, lookup->outcome);
                                  lookup->location = vl::to_location(r.entry);
                                  self->resolve_uuids(lookup);
                              });
}

void VolumeLocator::resolve_uuids(std::shared_ptr<Lookup> lookup) {
    // The next UUID whose addresses we do not know yet.
    std::optional<wire::afsUUID> missing;
    {
        std::lock_guard lock(mutex_);
        while (lookup->next_uuid < lookup->uuids.size() && !missing) {
            const auto& u = lookup->uuids[lookup->next_uuid++];
            if (!addresses_.contains(u)) missing = u;
        }
    }
    if (missing) {
        Outcome o = lookup->outcome;
        o.target = "the addresses of server " + missing->to_string() + " in cell " + cell_name_;
        o.attempts = 0;
        auto self = shared_from_this();
        return call<vl::GetAddrsU>(
            {vl::ListAddrByAttributes::by_uuid(*missing)}, o,
            [self, lookup, uuid = *missing](std::error_code ec, vl::GetAddrsU::Reply r, Outcome o2) {
                if (ec) return lookup->done(ec, nullptr, o2);
                if (r.nentries >= 0 && static_cast<size_t>(r.nentries) < r.addrs.size()) r.addrs.resize(static_cast<size_t>(r.nentries));
                {
                    std::lock_guard lock(self->mutex_);
                    self->addresses_[uuid] = std::move(r.addrs);
                }
                self->resolve_uuids(lookup);
            });
    }
    std::shared_ptr<const LocatedVolume> volume;
    {
        std::lock_guard lock(mutex_);
        volume = std::make_shared<const LocatedVolume>(client::locate(lookup->location, addresses_, fileserver_port_));
    }
    store(lookup->key, volume);
    lookup->done({}, volume, lookup->outcome);
}

}  // namespace afs::client::detail
