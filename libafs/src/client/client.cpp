// The Client's life: the transport, the callback service, cells, statistics.
#include <random>

#include "client_impl.hpp"
#include "libafs/wire/cb.hpp"
#include "local_interfaces.hpp"

namespace afs::client {

Outcome make_outcome(std::string_view operation, std::string target, const Identity& who) {
    Outcome o;
    o.operation = std::string(operation);
    o.target = std::move(target);
    o.identity = describe(who);
    return o;
}

namespace {

// A fresh UUID per client: a fileserver that already knows a UUID from another address
// checks that address first (seen: ~620 ms before the first call was answered).
wire::afsUUID random_uuid() {
    std::random_device rd;
    std::array<uint8_t, 16> bytes{};
    for (auto& b : bytes) b = static_cast<uint8_t>(rd());
    return wire::afsUUID::from_random_bytes(bytes);
}

}  // namespace

// ---- Impl ------------------------------------------------------------------------------

std::shared_ptr<detail::CellState> Client::Impl::cell(const std::string& name) const {
    std::lock_guard lock(mutex);
    const auto it = cells.find(name);
    return it == cells.end() ? nullptr : it->second;
}

void Client::Impl::add_cell(CellConfig config) {
    std::lock_guard lock(mutex);
    if (auto it = cells.find(config.name); it != cells.end()) {
        it->second->locator->set_servers(std::move(config.vl_servers));
        return;
    }
    auto locator = std::make_shared<detail::VolumeLocator>(config, pool, options.volume_cache_ttl, vl_calls,
                                                          options.vl_uuid_interface, options.fileserver_port);
    cells.emplace(config.name, std::make_shared<detail::CellState>(std::move(locator), options.directory_cache_entries,
                                                                   options.directory_cache_bytes));
}

void Client::Impl::serve_callback(std::shared_ptr<rx::Call> call) {
    auto request = std::make_shared<std::vector<std::byte>>(max_callback_request + 1);
    std::weak_ptr<Impl> weak = weak_from_this();
    call->async_read(std::span<std::byte>(*request), [weak, call, request](std::error_code ec, size_t n) {
        auto self = weak.lock();
        if (ec || !self) return;  // the call failed or the client is gone: nobody to answer
        if (n > max_callback_request) return call->abort(abort_code::RXGEN_SS_UNMARSHAL);
        CallbackAnswer answer = answer_callback(self->callback_identity, std::span<const std::byte>(request->data(), n));
        {
            std::lock_guard lock(self->mutex);
            ++self->callbacks_served[answer.opcode];
        }
        if (answer.event.kind != CallbackEvent::Kind::none) self->on_callback_event(answer.event);
        if (answer.abort_code != 0) return call->abort(answer.abort_code);
        if (answer.reply.empty()) return call->async_finish([call](std::error_code) {});
        auto reply = std::make_shared<std::vector<std::byte>>(std::move(answer.reply));
        call->async_write(std::span<const std::byte>(*reply), [call, reply](std::error_code wec, size_t) {
            if (wec) return;
            call->async_finish([call](std::error_code) {});
        });
    });
}

void Client::Impl::on_callback_event(const CallbackEvent& event) {
    if (event.kind == CallbackEvent::Kind::broken) {
        // Directories are cached by data version, so a break never makes them wrong; it
        // only says they are likely to be replaced, so their memory goes now.
        std::lock_guard lock(mutex);
        for (auto& [name, state] : cells) {
            for (const auto& fid : event.fids) {
                if (fid.is_whole_volume()) state->directories.erase_volume(fid.volume);
                else state->directories.erase(fid);
            }
        }
    }
    if (options.on_callback) options.on_callback(event);
}

// ---- Client ----------------------------------------------------------------------------

Client::Client(asio::any_io_executor executor) : executor_(std::move(executor)) {}

Client::~Client() { close(); }

result<std::shared_ptr<Client>> Client::create(asio::any_io_executor executor, ClientOptions options) {
    auto transport = rx::Transport::create(executor, options.transport);
    if (!transport) return fail(transport.error());
    auto impl = std::make_shared<Impl>();
    impl->executor = executor;
    impl->transport = *transport;
    impl->pool = std::make_shared<detail::ConnectionPool>(*transport, options.connections_per_server,
                                                          options.max_idle_connections);
    impl->callback_identity.uuid = options.uuid.value_or(random_uuid());
    impl->callback_identity.interfaces = options.interfaces ? *options.interfaces : detail::local_ipv4_interfaces();
    impl->callback_identity.capabilities = options.error_translation ? wire::capability::client_errortrans : 0;
    auto cells = std::move(options.cells);
    impl->options = std::move(options);
    for (auto& c : cells) impl->add_cell(std::move(c));

    // The fileserver calls back on this socket before it runs our first call to it.
    std::weak_ptr<Impl> weak = impl;
    impl->transport->add_service(wire::cb::service_id, anonymous(), [weak](std::shared_ptr<rx::Call> call) {
        if (auto self = weak.lock()) self->serve_callback(std::move(call));
        else call->abort(abort_code::RX_USER_ABORT);
    });

    auto client = std::shared_ptr<Client>(new Client(std::move(executor)));
    client->impl_ = std::move(impl);
    return client;
}

void Client::close() {
    if (!impl_) return;
    impl_->pool->clear();
    impl_->transport->close();
}

void Client::add_cell(CellConfig cell) { impl_->add_cell(std::move(cell)); }

bool Client::has_cell(const std::string& name) const { return impl_->cell(name) != nullptr; }

const wire::afsUUID& Client::uuid() const { return impl_->callback_identity.uuid; }

asio::ip::udp::endpoint Client::local_endpoint() const { return impl_->transport->local_endpoint(); }

std::shared_ptr<rx::Transport> Client::transport() const { return impl_->transport; }

ClientStats Client::stats() const {
    ClientStats s;
    s.rx = impl_->transport->stats();
    s.fs_calls = impl_->fs_calls;
    s.vl_calls = *impl_->vl_calls;
    s.busy_retries = impl_->busy_retries;
    s.relocations = impl_->relocations;
    s.failovers = impl_->failovers;
    s.directory_hits = impl_->directory_hits;
    s.directory_misses = impl_->directory_misses;
    s.connections_opened = impl_->pool->opened();
    std::lock_guard lock(impl_->mutex);
    s.callbacks_served = impl_->callbacks_served;
    return s;
}

}  // namespace afs::client
