// The FS operations: each builds its request, runs it through run_fs, and turns the reply
// into the public reply type.
#include <ctime>
#include <numeric>

#include "client_impl.hpp"
#include "fs_operation.hpp"
#include "split_calls.hpp"

namespace afs::client {

namespace fs = wire::fs;
using detail::run_rpc;

namespace {

std::string range_of(const FileRef& file, uint64_t position, uint64_t size) {
    return file.to_string() + " (bytes " + std::to_string(position) + ".." + std::to_string(position + size) + ")";
}

std::string name_in(const std::string& name, const FileRef& dir) { return "\"" + name + "\" in " + dir.to_string(); }

uint32_t unix_now() { return static_cast<uint32_t>(std::time(nullptr)); }

}  // namespace

// ---- building blocks ------------------------------------------------------------------

void Client::Impl::fetch_status(Identity who, FileRef file, Outcome outcome, Completion<StatusReply> done) {
    run_rpc<fs::FetchStatus>(shared_from_this(), std::move(who), file.cell, file.fid.volume, std::move(outcome),
                             {file.fid}, [done = std::move(done)](std::error_code ec, fs::FetchStatus::Reply r, Outcome o) {
                                 done(ec, StatusReply{std::move(o), r.status, r.callback, r.volsync});
                             });
}

void Client::Impl::fetch_data(Identity who, FileRef file, uint64_t position, std::vector<std::span<std::byte>> buffers,
                              Outcome outcome, Completion<FetchReply> done) {
    const uint64_t size = std::accumulate(buffers.begin(), buffers.end(), uint64_t{0},
                                          [](uint64_t n, const auto& b) { return n + b.size(); });
    outcome.operation = std::string(fs::FetchData64::name);
    if (outcome.target.empty()) outcome.target = range_of(file, position, size);
    if (position > static_cast<uint64_t>(INT64_MAX) || size > static_cast<uint64_t>(INT64_MAX) - position)
        return done(make_error_code(std::errc::invalid_argument), reply_with<FetchReply>(std::move(outcome)));
    auto target = std::make_shared<detail::FetchTarget>();
    auto request = wire::encode_request<fs::FetchData64>(
        {file.fid, static_cast<int64_t>(position), static_cast<int64_t>(size)});
    if (!request) return done(request.error(), reply_with<FetchReply>(std::move(outcome)));
    target->request = std::move(*request);
    target->requested = size;
    target->buffers = std::move(buffers);

    detail::FsOperation op;
    op.identity = std::move(who);
    op.cell = file.cell;
    op.volume = file.fid.volume;
    op.outcome = std::move(outcome);
    op.attempt = [target](const std::shared_ptr<rx::Connection>& conn, std::function<void(std::error_code)> cb) {
        detail::fetch_data64(conn, target, std::move(cb));
    };
    op.finish = [target, done = std::move(done)](std::error_code ec, Outcome o) {
        auto r = reply_with<FetchReply>(std::move(o));
        if (!ec) {
            r.bytes = target->bytes;
            r.status = target->reply.status;
            r.callback = target->reply.callback;
        }
        done(ec, std::move(r));
    };
    detail::run_fs(shared_from_this(), std::move(op));
}

void Client::Impl::store_data(Identity who, FileRef file, StoreParams params,
                              std::vector<std::span<const std::byte>> pieces, Outcome outcome,
                              Completion<StoreReply> done) {
    const uint64_t size = std::accumulate(pieces.begin(), pieces.end(), uint64_t{0},
                                          [](uint64_t n, const auto& b) { return n + b.size(); });
    outcome.operation = std::string(fs::StoreData64::name);
    if (outcome.target.empty()) outcome.target = range_of(file, params.position, size);
    if (params.position > static_cast<uint64_t>(INT64_MAX) || size > static_cast<uint64_t>(INT64_MAX) - params.position)
        return done(make_error_code(std::errc::file_too_large), reply_with<StoreReply>(std::move(outcome)));

    fs::StoreData64::Request req;
    req.fid = file.fid;
    if (params.mtime) {
        req.store_status.mask |= wire::store_mask::set_mod_time;
        req.store_status.client_mod_time = *params.mtime;
    }
    if (params.fsync) req.store_status.mask |= wire::store_mask::fsync;
    req.pos = params.position;
    req.length = size;
    req.file_length = params.file_length;
    auto source = std::make_shared<detail::StoreSource>();
    auto header = wire::encode_request<fs::StoreData64>(req);
    if (!header) return done(header.error(), reply_with<StoreReply>(std::move(outcome)));
    source->header = std::move(*header);
    source->pieces = std::move(pieces);

    detail::FsOperation op;
    op.identity = std::move(who);
    op.cell = file.cell;
    op.volume = file.fid.volume;
    op.outcome = std::move(outcome);
    op.attempt = [source](const std::shared_ptr<rx::Connection>& conn, std::function<void(std::error_code)> cb) {
        detail::store_data64(conn, source, std::move(cb));
    };
    const uint64_t end = params.position + size;
    op.finish = [source, done = std::move(done), end, size](std::error_code ec, Outcome o) {
        // The reply describes the file after our store, under the fileserver's vnode lock:
        // a length short of what we wrote means the data is not all there.
        if (!ec && size > 0 && source->reply.status.length() < end) ec = errc::protocol_violation;
        auto r = reply_with<StoreReply>(std::move(o));
        if (!ec) r.status = source->reply.status;
        done(ec, std::move(r));
    };
    detail::run_fs(shared_from_this(), std::move(op));
}

// ---- public operations -----------------------------------------------------------------

void Client::start_fetch_status(Identity who, FileRef file, Completion<StatusReply> done) {
    auto outcome = make_outcome(fs::FetchStatus::name, file.to_string(), who);
    impl_->fetch_status(std::move(who), std::move(file), std::move(outcome), std::move(done));
}

void Client::start_fetch_data(Identity who, FileRef file, uint64_t position, std::vector<std::span<std::byte>> buffers,
                              Completion<FetchReply> done) {
    auto outcome = make_outcome(fs::FetchData64::name, "", who);
    impl_->fetch_data(std::move(who), std::move(file), position, std::move(buffers), std::move(outcome), std::move(done));
}

void Client::start_store_data(Identity who, FileRef file, StoreParams params,
                              std::vector<std::span<const std::byte>> pieces, Completion<StoreReply> done) {
    auto outcome = make_outcome(fs::StoreData64::name, "", who);
    impl_->store_data(std::move(who), std::move(file), params, std::move(pieces), std::move(outcome), std::move(done));
}

void Client::start_store_status(Identity who, FileRef file, wire::AFSStoreStatus status, Completion<StoreReply> done) {
    auto outcome = make_outcome(fs::StoreStatus::name, file.to_string(), who);
    run_rpc<fs::StoreStatus>(impl_, std::move(who), file.cell, file.fid.volume, std::move(outcome), {file.fid, status},
                             [done = std::move(done)](std::error_code ec, fs::StoreStatus::Reply r, Outcome o) {
                                 done(ec, StoreReply{std::move(o), r.status});
                             });
}

void Client::start_create(bool directory, Identity who, FileRef dir, std::string name, CreateParams params,
                          Completion<CreateReply> done) {
    auto outcome = make_outcome(directory ? fs::MakeDir::name : fs::CreateFile::name, name_in(name, dir), who);
    fs::CreateRequest req;
    req.dir_fid = dir.fid;
    req.name = name;
    req.store_status.mask = wire::store_mask::set_mode | wire::store_mask::set_mod_time;
    req.store_status.unix_mode_bits = params.mode & 07777;
    req.store_status.client_mod_time = params.mtime.value_or(unix_now());
    auto finish = [done = std::move(done), cell = dir.cell](std::error_code ec, fs::CreateReply r, Outcome o) {
        done(ec, CreateReply{std::move(o), FileRef{cell, r.fid}, r.status, r.dir_status, r.callback});
    };
    if (directory)
        run_rpc<fs::MakeDir>(impl_, std::move(who), dir.cell, dir.fid.volume, std::move(outcome), req, std::move(finish));
    else
        run_rpc<fs::CreateFile>(impl_, std::move(who), dir.cell, dir.fid.volume, std::move(outcome), req,
                                std::move(finish));
}

void Client::start_remove(bool directory, Identity who, FileRef dir, std::string name, Completion<RemoveReply> done) {
    auto outcome = make_outcome(directory ? fs::RemoveDir::name : fs::RemoveFile::name, name_in(name, dir), who);
    auto finish = [done = std::move(done)](std::error_code ec, fs::DirStatusAndSync r, Outcome o) {
        done(ec, RemoveReply{std::move(o), r.dir_status});
    };
    const fs::DirNameRequest req{dir.fid, std::move(name)};
    if (directory)
        run_rpc<fs::RemoveDir>(impl_, std::move(who), dir.cell, dir.fid.volume, std::move(outcome), req, std::move(finish));
    else
        run_rpc<fs::RemoveFile>(impl_, std::move(who), dir.cell, dir.fid.volume, std::move(outcome), req,
                                std::move(finish));
}

void Client::start_rename(Identity who, FileRef old_dir, std::string old_name, FileRef new_dir, std::string new_name,
                          Completion<RenameReply> done) {
    auto outcome = make_outcome(fs::Rename::name, name_in(old_name, old_dir) + " to " + name_in(new_name, new_dir), who);
    if (old_dir.cell != new_dir.cell || old_dir.fid.volume != new_dir.fid.volume)
        return done(make_error_code(std::errc::cross_device_link), reply_with<RenameReply>(std::move(outcome)));
    run_rpc<fs::Rename>(impl_, std::move(who), old_dir.cell, old_dir.fid.volume, std::move(outcome),
                        {old_dir.fid, std::move(old_name), new_dir.fid, std::move(new_name)},
                        [done = std::move(done)](std::error_code ec, fs::Rename::Reply r, Outcome o) {
                            done(ec, RenameReply{std::move(o), r.old_dir_status, r.new_dir_status});
                        });
}

void Client::start_bulk_status(Identity who, std::string cell, std::vector<wire::AFSFid> fids,
                               Completion<BulkStatusReply> done) {
    auto outcome = make_outcome(fs::InlineBulkStatus::name, std::to_string(fids.size()) + " files in cell " + cell, who);
    if (fids.empty()) return done({}, reply_with<BulkStatusReply>(std::move(outcome)));
    if (fids.size() > wire::afs_cb_max) return done(make_error_code(errc::too_large), reply_with<BulkStatusReply>(std::move(outcome)));
    const uint32_t volume = fids.front().volume;
    for (const auto& f : fids)
        if (f.volume != volume) return done(make_error_code(std::errc::invalid_argument), reply_with<BulkStatusReply>(std::move(outcome)));
    auto request = std::make_shared<fs::InlineBulkStatus::Request>(fs::InlineBulkStatus::Request{std::move(fids)});
    run_rpc<fs::InlineBulkStatus>(
        impl_, std::move(who), std::move(cell), volume, std::move(outcome), *request,
        [done = std::move(done), request](std::error_code ec, fs::InlineBulkStatus::Reply r, Outcome o) {
            if (!ec) ec = fs::check_reply(*request, r);
            auto out = reply_with<BulkStatusReply>(std::move(o));
            if (!ec) {
                out.statuses = std::move(r.statuses);
                out.callbacks = std::move(r.callbacks);
            }
            done(ec, std::move(out));
        });
}

void Client::start_give_up_callbacks(Identity who, std::string cell, std::vector<wire::AFSFid> fids,
                                     Completion<EmptyReply> done) {
    auto outcome =
        make_outcome(fs::GiveUpCallBacks::name, std::to_string(fids.size()) + " files in cell " + cell, who);
    if (fids.empty()) return done({}, reply_with<EmptyReply>(std::move(outcome)));
    if (fids.size() > wire::afs_cb_max) return done(make_error_code(errc::too_large), reply_with<EmptyReply>(std::move(outcome)));
    const uint32_t volume = fids.front().volume;
    for (const auto& f : fids)
        if (f.volume != volume) return done(make_error_code(std::errc::invalid_argument), reply_with<EmptyReply>(std::move(outcome)));
    run_rpc<fs::GiveUpCallBacks>(impl_, std::move(who), std::move(cell), volume, std::move(outcome),
                                 {std::move(fids), {}},
                                 [done = std::move(done)](std::error_code ec, fs::GiveUpCallBacks::Reply, Outcome o) {
                                     done(ec, reply_with<EmptyReply>(std::move(o)));
                                 });
}

void Client::start_get_capabilities(Identity who, FileRef file, Completion<CapabilitiesReply> done) {
    auto outcome = make_outcome(fs::GetCapabilities::name, "the fileserver of " + file.to_string(), who);
    run_rpc<fs::GetCapabilities>(impl_, std::move(who), file.cell, file.fid.volume, std::move(outcome), {},
                                 [done = std::move(done)](std::error_code ec, fs::GetCapabilities::Reply r, Outcome o) {
                                     done(ec, CapabilitiesReply{std::move(o), std::move(r.capabilities)});
                                 });
}

void Client::start_fetch_acl(Identity who, FileRef dir, Completion<AclReply> done) {
    auto outcome = make_outcome(fs::FetchACL::name, dir.to_string(), who);
    run_rpc<fs::FetchACL>(impl_, std::move(who), dir.cell, dir.fid.volume, std::move(outcome), {dir.fid},
                          [done = std::move(done)](std::error_code ec, fs::FetchACL::Reply r, Outcome o) {
                              auto out = reply_with<AclReply>(std::move(o));
                              if (!ec) {
                                  auto acl = wire::parse_acl(r.acl);
                                  if (acl) out.acl = std::move(*acl);
                                  else ec = acl.error();
                                  out.status = r.status;
                              }
                              done(ec, std::move(out));
                          });
}

void Client::start_store_acl(Identity who, FileRef dir, wire::Acl acl, Completion<StoreReply> done) {
    auto outcome = make_outcome(fs::StoreACL::name, dir.to_string(), who);
    auto req = fs::make_store_acl(dir.fid, acl);
    if (!req) return done(req.error(), reply_with<StoreReply>(std::move(outcome)));
    run_rpc<fs::StoreACL>(impl_, std::move(who), dir.cell, dir.fid.volume, std::move(outcome), *req,
                          [done = std::move(done)](std::error_code ec, fs::StoreACL::Reply r, Outcome o) {
                              done(ec, StoreReply{std::move(o), r.status});
                          });
}

}  // namespace afs::client
