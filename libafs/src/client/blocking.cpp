// The blocking facade: an I/O thread, futures, and pipelined transfers.
#include "libafs/client/blocking.hpp"

#include <algorithm>
#include <deque>
#include <future>
#include <thread>

#include <asio/executor_work_guard.hpp>
#include <asio/io_context.hpp>

namespace afs::client {

struct BlockingClient::Loop {
    asio::io_context io{1};
    asio::executor_work_guard<asio::io_context::executor_type> work = asio::make_work_guard(io);
    std::thread thread{[this] { io.run(); }};

    ~Loop() {
        work.reset();
        io.stop();
        thread.join();
    }
};

namespace {

// One operation's result, delivered from the I/O thread. The promise is shared with the
// handler so that it outlives set_value even when the waiter returns at once.
template <class Reply>
class Waiter {
public:
    auto handler() {
        return [p = promise_](std::error_code ec, Reply r) { p->set_value({ec, std::move(r)}); };
    }
    Result<Reply> get() {
        auto [ec, r] = future_.get();
        if (ec) return tl::unexpected(Error{ec, std::move(r.outcome)});
        return std::move(r);
    }

private:
    std::shared_ptr<std::promise<std::pair<std::error_code, Reply>>> promise_ =
        std::make_shared<std::promise<std::pair<std::error_code, Reply>>>();
    std::future<std::pair<std::error_code, Reply>> future_ = promise_->get_future();
};

template <class Reply, class Start>
Result<Reply> wait_for(Start&& start) {
    Waiter<Reply> w;
    start(w.handler());
    return w.get();
}

Error local_error(std::error_code ec, std::string operation, std::string_view target, const Identity& who) {
    Outcome o;
    o.operation = std::move(operation);
    o.target = std::string(target);
    o.identity = describe(who);
    return Error{ec, std::move(o)};
}

// An error from a step of a path operation, retargeted to the path the caller gave.
template <class T>
Result<T> about(Result<T> r, std::string_view path) {
    if (!r) r.error().outcome.target = std::string(path) + " (" + r.error().outcome.target + ")";
    return r;
}

}  // namespace

result<std::unique_ptr<BlockingClient>> BlockingClient::create(ClientOptions options) {
    auto loop = std::make_unique<Loop>();
    auto client = Client::create(loop->io.get_executor(), std::move(options));
    if (!client) return fail(client.error());
    return std::unique_ptr<BlockingClient>(new BlockingClient(std::move(loop), std::move(*client)));
}

BlockingClient::BlockingClient(std::unique_ptr<Loop> loop, std::shared_ptr<Client> client)
    : loop_(std::move(loop)), client_(std::move(client)) {}

BlockingClient::~BlockingClient() {
    client_->close();
    client_.reset();
    loop_.reset();
}

// ---- one call each -----------------------------------------------------------------------

Result<Node> BlockingClient::resolve(const Identity& who, std::string_view path, ResolveOptions options) {
    auto r = wait_for<ResolveReply>([&](auto h) { client_->async_resolve(who, std::string(path), options, std::move(h)); });
    if (!r) return tl::unexpected(std::move(r.error()));
    return std::move(r->node);
}

Result<LocatedVolume> BlockingClient::lookup_volume(const std::string& cell, const std::string& volume) {
    auto r = wait_for<VolumeReply>([&](auto h) { client_->async_lookup_volume(cell, volume, std::move(h)); });
    if (!r) return tl::unexpected(std::move(r.error()));
    return std::move(r->volume);
}

Result<DirectoryReply> BlockingClient::read_directory(const Identity& who, const FileRef& dir) {
    return wait_for<DirectoryReply>([&](auto h) { client_->async_read_directory(who, dir, std::move(h)); });
}

Result<StatusReply> BlockingClient::fetch_status(const Identity& who, const FileRef& file) {
    return wait_for<StatusReply>([&](auto h) { client_->async_fetch_status(who, file, std::move(h)); });
}

Result<FetchReply> BlockingClient::fetch_data(const Identity& who, const FileRef& file, uint64_t position,
                                              std::span<std::byte> buffer) {
    return wait_for<FetchReply>([&](auto h) { client_->async_fetch_data(who, file, position, buffer, std::move(h)); });
}

Result<StoreReply> BlockingClient::store_data(const Identity& who, const FileRef& file, const StoreParams& params,
                                              std::span<const std::byte> data) {
    return wait_for<StoreReply>([&](auto h) { client_->async_store_data(who, file, params, data, std::move(h)); });
}

Result<StoreReply> BlockingClient::truncate(const Identity& who, const FileRef& file, uint64_t length) {
    return wait_for<StoreReply>([&](auto h) { client_->async_truncate(who, file, length, std::nullopt, std::move(h)); });
}

Result<StoreReply> BlockingClient::store_status(const Identity& who, const FileRef& file,
                                                const wire::AFSStoreStatus& status) {
    return wait_for<StoreReply>([&](auto h) { client_->async_store_status(who, file, status, std::move(h)); });
}

Result<CreateReply> BlockingClient::create_file(const Identity& who, const FileRef& dir, const std::string& name,
                                                CreateParams params) {
    return wait_for<CreateReply>([&](auto h) { client_->async_create_file(who, dir, name, params, std::move(h)); });
}

Result<CreateReply> BlockingClient::make_dir(const Identity& who, const FileRef& dir, const std::string& name,
                                             CreateParams params) {
    return wait_for<CreateReply>([&](auto h) { client_->async_make_dir(who, dir, name, params, std::move(h)); });
}

Result<RemoveReply> BlockingClient::remove_file(const Identity& who, const FileRef& dir, const std::string& name) {
    return wait_for<RemoveReply>([&](auto h) { client_->async_remove_file(who, dir, name, std::move(h)); });
}

Result<RemoveReply> BlockingClient::remove_dir(const Identity& who, const FileRef& dir, const std::string& name) {
    return wait_for<RemoveReply>([&](auto h) { client_->async_remove_dir(who, dir, name, std::move(h)); });
}

Result<RenameReply> BlockingClient::rename(const Identity& who, const FileRef& old_dir, const std::string& old_name,
                                           const FileRef& new_dir, const std::string& new_name) {
    return wait_for<RenameReply>(
        [&](auto h) { client_->async_rename(who, old_dir, old_name, new_dir, new_name, std::move(h)); });
}

Result<BulkStatusReply> BlockingClient::bulk_status(const Identity& who, const std::string& cell,
                                                    std::vector<wire::AFSFid> fids) {
    return wait_for<BulkStatusReply>(
        [&](auto h) { client_->async_bulk_status(who, cell, std::move(fids), std::move(h)); });
}

Result<EmptyReply> BlockingClient::give_up_callbacks(const Identity& who, const std::string& cell,
                                                     std::vector<wire::AFSFid> fids) {
    return wait_for<EmptyReply>(
        [&](auto h) { client_->async_give_up_callbacks(who, cell, std::move(fids), std::move(h)); });
}

Result<CapabilitiesReply> BlockingClient::get_capabilities(const Identity& who, const FileRef& file) {
    return wait_for<CapabilitiesReply>([&](auto h) { client_->async_get_capabilities(who, file, std::move(h)); });
}

Result<AclReply> BlockingClient::fetch_acl(const Identity& who, const FileRef& dir) {
    return wait_for<AclReply>([&](auto h) { client_->async_fetch_acl(who, dir, std::move(h)); });
}

Result<StoreReply> BlockingClient::store_acl(const Identity& who, const FileRef& dir, const wire::Acl& acl) {
    return wait_for<StoreReply>([&](auto h) { client_->async_store_acl(who, dir, acl, std::move(h)); });
}

// ---- by path -----------------------------------------------------------------------------

namespace {
ResolveOptions parent_of_last() {
    ResolveOptions o;
    o.parent_only = true;
    return o;
}
}  // namespace

Result<CreateReply> BlockingClient::create_file(const Identity& who, std::string_view path, CreateParams params) {
    auto dir = resolve(who, path, parent_of_last());
    if (!dir) return tl::unexpected(std::move(dir.error()));
    return about(create_file(who, dir->ref, dir->name, params), path);
}

Result<CreateReply> BlockingClient::make_dir(const Identity& who, std::string_view path, CreateParams params) {
    auto dir = resolve(who, path, parent_of_last());
    if (!dir) return tl::unexpected(std::move(dir.error()));
    return about(make_dir(who, dir->ref, dir->name, params), path);
}

Result<RemoveReply> BlockingClient::remove_file(const Identity& who, std::string_view path) {
    auto dir = resolve(who, path, parent_of_last());
    if (!dir) return tl::unexpected(std::move(dir.error()));
    return about(remove_file(who, dir->ref, dir->name), path);
}

Result<RemoveReply> BlockingClient::remove_dir(const Identity& who, std::string_view path) {
    auto dir = resolve(who, path, parent_of_last());
    if (!dir) return tl::unexpected(std::move(dir.error()));
    return about(remove_dir(who, dir->ref, dir->name), path);
}

Result<RenameReply> BlockingClient::rename(const Identity& who, std::string_view from, std::string_view to) {
    auto a = resolve(who, from, parent_of_last());
    if (!a) return tl::unexpected(std::move(a.error()));
    auto b = resolve(who, to, parent_of_last());
    if (!b) return tl::unexpected(std::move(b.error()));
    return about(rename(who, a->ref, a->name, b->ref, b->name), std::string(from) + " -> " + std::string(to));
}

Result<std::vector<std::byte>> BlockingClient::read_file(const Identity& who, std::string_view path, uint64_t max_size) {
    auto node = resolve(who, path);
    if (!node) return tl::unexpected(std::move(node.error()));
    if (node->status.is_directory())
        return tl::unexpected(local_error(make_error_code(std::errc::is_a_directory), "read", path, who));
    const uint64_t size = node->status.length();
    if (size > max_size) return tl::unexpected(local_error(make_error_code(std::errc::file_too_large), "read", path, who));
    std::vector<std::byte> data(static_cast<size_t>(size));
    auto r = about(fetch_data(who, node->ref, 0, data), path);
    if (!r) return tl::unexpected(std::move(r.error()));
    data.resize(static_cast<size_t>(r->bytes));
    return data;
}

Result<StoreReply> BlockingClient::write_file(const Identity& who, std::string_view path,
                                              std::span<const std::byte> data, std::optional<uint32_t> mtime) {
    auto node = resolve(who, path);
    FileRef file;
    if (node) {
        file = node->ref;
    } else if (node.error().code == std::errc::no_such_file_or_directory) {
        auto created = create_file(who, path);
        if (!created) return tl::unexpected(std::move(created.error()));
        file = created->file;
    } else {
        return tl::unexpected(std::move(node.error()));
    }
    return about(store_data(who, file, StoreParams{0, data.size(), mtime, false}, data), path);
}

// ---- pipelined transfers -------------------------------------------------------------------

Result<uint64_t> BlockingClient::download(
    const Identity& who, const FileRef& file,
    const std::function<std::error_code(uint64_t offset, std::span<const std::byte>)>& sink, TransferOptions options) {
    auto st = fetch_status(who, file);
    if (!st) return tl::unexpected(std::move(st.error()));
    const uint64_t size = st->status.length();
    const uint64_t chunk = std::max<uint64_t>(options.chunk, 1);
    const size_t depth = std::max<size_t>(options.depth, 1);

    struct Piece {
        uint64_t offset = 0;
        std::vector<std::byte> buffer;
        Waiter<FetchReply> waiter;
    };
    std::deque<Piece> in_flight;
    std::vector<std::vector<std::byte>> spare;
    uint64_t next = 0, delivered = 0;
    std::optional<Error> error;
    // Bounded: each pass either starts a piece (at most size / chunk + 1) or retires one.
    while (!error && (next < size || !in_flight.empty())) {
        while (!error && next < size && in_flight.size() < depth) {
            Piece& p = in_flight.emplace_back();
            p.offset = next;
            if (!spare.empty()) {
                p.buffer = std::move(spare.back());
                spare.pop_back();
            }
            p.buffer.resize(static_cast<size_t>(std::min(chunk, size - next)));
            client_->async_fetch_data(who, file, p.offset, std::span<std::byte>(p.buffer), p.waiter.handler());
            next += p.buffer.size();
        }
        Piece p = std::move(in_flight.front());
        in_flight.pop_front();
        auto r = p.waiter.get();
        if (!r) {
            error = std::move(r.error());
            break;
        }
        if (auto ec = sink(p.offset, std::span<const std::byte>(p.buffer.data(), static_cast<size_t>(r->bytes)))) {
            error = local_error(ec, "download (writing the data)", file.to_string(), who);
            break;
        }
        delivered += r->bytes;
        // A file that shrank meanwhile: stop at its new end.
        if (r->bytes < p.buffer.size()) next = size;
        spare.push_back(std::move(p.buffer));
    }
    // The buffers of calls still running must outlive them.
    for (auto& p : in_flight) (void)p.waiter.get();
    if (error) return tl::unexpected(std::move(*error));
    return delivered;
}

Result<StoreReply> BlockingClient::upload(const Identity& who, const FileRef& file, uint64_t size,
                                          const std::function<std::error_code(uint64_t offset, std::span<std::byte>)>& source,
                                          std::optional<uint32_t> mtime, TransferOptions options) {
    if (size == 0) return wait_for<StoreReply>([&](auto h) { client_->async_truncate(who, file, 0, mtime, std::move(h)); });
    const uint64_t chunk = std::max<uint64_t>(options.chunk, 1);
    const size_t depth = std::max<size_t>(options.depth, 1);

    struct Piece {
        std::vector<std::byte> buffer;
        Waiter<StoreReply> waiter;
    };
    std::deque<Piece> in_flight;
    std::vector<std::vector<std::byte>> spare;
    std::optional<StoreReply> latest;
    std::optional<Error> error;
    uint64_t next = 0;
    auto retire = [&](Piece& p) {
        auto r = p.waiter.get();
        if (!r) {
            if (!error) error = std::move(r.error());
        } else if (!latest || r->status.data_version() > latest->status.data_version()) {
            latest = std::move(*r);
        }
        spare.push_back(std::move(p.buffer));
    };
    // Bounded: each pass starts one piece (size / chunk + 1 at most) and may retire one.
    while (!error && next < size) {
        if (in_flight.size() >= depth) {
            retire(in_flight.front());
            in_flight.pop_front();
            if (error) break;
        }
        std::vector<std::byte> buffer;
        if (!spare.empty()) {
            buffer = std::move(spare.back());
            spare.pop_back();
        }
        buffer.resize(static_cast<size_t>(std::min(chunk, size - next)));
        if (auto ec = source(next, buffer)) {
            error = local_error(ec, "upload (reading the data)", file.to_string(), who);
            break;
        }
        Piece& p = in_flight.emplace_back();
        p.buffer = std::move(buffer);
        // Every piece carries the final length: pieces may land in any order, and the first
        // one to land cuts a longer old file down to `size`.
        client_->async_store_data(who, file, StoreParams{next, size, mtime, false}, std::span<const std::byte>(p.buffer),
                                  p.waiter.handler());
        next += p.buffer.size();
    }
    while (!in_flight.empty()) {
        retire(in_flight.front());
        in_flight.pop_front();
    }
    if (error) return tl::unexpected(std::move(*error));
    return std::move(*latest);
}

}  // namespace afs::client
