// One FS operation against the server that holds a volume, with the retries of
// RetryPolicy: locate the volume (VL, cached), take a pooled connection for the identity,
// run the attempt, and on failure wait (busy volume), look the volume up again (moved),
// try another server (unreachable) or report.
//
// An attempt is one Rx call; it may run several times, so everything it reads or writes
// must stay valid until `finish` runs.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "client_impl.hpp"
#include "libafs/wire/rpc.hpp"

namespace afs::client::detail {

struct FsOperation {
    Identity identity;
    std::string cell;
    uint32_t volume = 0;   // the volume whose server is called
    Outcome outcome;       // operation, target and identity filled in; volume, server, attempts by run_fs
    std::function<void(const std::shared_ptr<rx::Connection>&, std::function<void(std::error_code)>)> attempt;
    std::function<void(std::error_code, Outcome)> finish;
};

void run_fs(const std::shared_ptr<Client::Impl>& impl, FsOperation op);

// A whole-request, whole-reply FS RPC through run_fs.
template <class R>
void run_rpc(const std::shared_ptr<Client::Impl>& impl, Identity who, std::string cell, uint32_t volume,
             Outcome outcome, const typename R::Request& request,
             std::function<void(std::error_code, typename R::Reply, Outcome)> done) {
    outcome.operation = std::string(R::name);
    auto bytes = wire::encode_request<R>(request);
    if (!bytes) return done(bytes.error(), {}, std::move(outcome));
    auto encoded = std::make_shared<const std::vector<std::byte>>(std::move(*bytes));
    auto reply = std::make_shared<typename R::Reply>();
    FsOperation op;
    op.identity = std::move(who);
    op.cell = std::move(cell);
    op.volume = volume;
    op.outcome = std::move(outcome);
    op.attempt = [encoded, reply](const std::shared_ptr<rx::Connection>& conn, std::function<void(std::error_code)> cb) {
        conn->async_call(*encoded, [reply, cb = std::move(cb)](std::error_code ec, std::vector<std::byte> answer) {
            if (ec) return cb(ec);
            auto r = wire::decode_reply<R>(answer);
            if (!r) return cb(r.error());
            *reply = std::move(*r);
            cb({});
        });
    };
    op.finish = [reply, done = std::move(done)](std::error_code ec, Outcome o) {
        done(ec, ec ? typename R::Reply{} : std::move(*reply), std::move(o));
    };
    run_fs(impl, std::move(op));
}

}  // namespace afs::client::detail
