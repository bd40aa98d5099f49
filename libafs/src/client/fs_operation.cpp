// The retry loop around FS calls (see fs_operation.hpp).
#include "fs_operation.hpp"

#include <asio/steady_timer.hpp>

#include "libafs/wire/fs.hpp"

namespace afs::client::detail {
namespace {

class FsRun : public std::enable_shared_from_this<FsRun> {
public:
    FsRun(std::shared_ptr<Client::Impl> impl, FsOperation op)
        : impl_(std::move(impl)),
          op_(std::move(op)),
          retry_(impl_->options.retry),
          began_(std::chrono::steady_clock::now()),
          timer_(impl_->executor) {}

    void step() {
        auto cell = impl_->cell(op_.cell);
        if (!cell) return finish(errc::no_such_cell);
        auto self = shared_from_this();
        cell->locator->locate(op_.volume, [self, cell](std::error_code ec, std::shared_ptr<const LocatedVolume> volume,
                                                       Outcome vl) {
            if (ec) {
                // Name the VL call that failed, keep our own target.
                self->op_.outcome.operation += " (" + vl.operation + ")";
                self->op_.outcome.server = vl.server;
                self->op_.outcome.volume = std::to_string(self->op_.volume);
                return self->finish(ec);
            }
            self->call(*cell, *volume);
        });
    }

private:
    void call(CellState& cell, const LocatedVolume& volume) {
        op_.outcome.volume = volume.describe(op_.volume);
        const auto type = volume.location.type_of(op_.volume).value_or(wire::VolumeType::rw);
        const auto& servers = volume.servers_for(type);
        const auto server = choose_server(servers, failed_);
        if (!server) return finish(last_error_ ? last_error_ : make_error_code(errc::no_such_volume));
        const bool other = servers.size() > failed_.size() + 1;
        op_.outcome.server = to_string(*server);
        ++op_.outcome.attempts;
        ++impl_->fs_calls;
        auto lease = std::make_shared<ConnectionPool::Lease>(impl_->pool->acquire(*server, wire::fs::service_id, op_.identity));
        auto self = shared_from_this();
        auto locator = cell.locator;
        op_.attempt(lease->connection(), [self, lease, locator, server = *server, other](std::error_code ec) {
            if (ec && is_connection_error(ec)) lease->mark_broken();
            lease->release();
            self->after(ec, *locator, server, other);
        });
    }

    void after(std::error_code ec, VolumeLocator& locator, const asio::ip::udp::endpoint& server, bool other) {
        last_error_ = ec;
        const auto decision = retry_.next(ec, std::chrono::steady_clock::now() - began_, other);
        switch (decision.action) {
            case RetryAction::done:
            case RetryAction::fail: return finish(ec);
            case RetryAction::wait: {
                ++impl_->busy_retries;
                timer_.expires_after(decision.delay);
                timer_.async_wait([self = shared_from_this()](std::error_code) { self->step(); });
                return;
            }
            case RetryAction::relocate:
                ++impl_->relocations;
                locator.forget(op_.volume);
                return step();
            case RetryAction::failover:
                ++impl_->failovers;
                failed_.push_back(server);
                return step();
        }
    }

    void finish(std::error_code ec) {
        auto fn = std::move(op_.finish);
        op_.finish = nullptr;
        op_.attempt = nullptr;  // what the attempt captured goes now
        if (fn) fn(ec, op_.outcome);
    }

    std::shared_ptr<Client::Impl> impl_;
    FsOperation op_;
    RetryState retry_;
    std::chrono::steady_clock::time_point began_;
    asio::steady_timer timer_;
    std::vector<asio::ip::udp::endpoint> failed_;
    std::error_code last_error_;
};

}  // namespace

void run_fs(const std::shared_ptr<Client::Impl>& impl, FsOperation op) {
    std::make_shared<FsRun>(impl, std::move(op))->step();
}

}  // namespace afs::client::detail
