// An AFS client from userspace: VL lookups, path resolution, and the FS RPCs, over one Rx
// transport (one UDP socket), with the callback service the fileservers need served on it.
//
//   auto client = *afs::client::Client::create(io.get_executor(), options);   // options.cells: VL servers
//   client->async_resolve(anonymous(), "/afs/test.afs/test/pub/hello.txt", {},
//                         [](std::error_code ec, ResolveReply r) { ... r.node.ref ... });
//   client->async_fetch_data(who, ref, 0, buffer, [](std::error_code ec, FetchReply r) { ... });
//
// Every operation takes the Identity to speak as (anonymous(), or rxkad(token, level)), so
// a caller can hold several keys and switch per call. Connections are pooled per (server,
// identity): up to ClientOptions::connections_per_server Rx connections of 4 call channels
// each, the least busy one taken for each call, so many calls can be in flight at once.
//
// Every async_* takes an Asio completion token; handlers run on their associated executor,
// else the executor given to create(), never inside the initiating call. The completion
// signature is void(std::error_code, XxxReply); every reply carries an Outcome naming the
// RPC, file, volume, server and identity, filled in on failure too, so
// `reply.outcome.message(ec)` is a message a user can act on.
//
// Errors: what a server aborted with is afs::abort_error(code): ACL refusals compare equal
// to std::errc::permission_denied (afs::is_key_error says whether another key might do
// better), a missing file to std::errc::no_such_file_or_directory. Busy or offline volumes
// are retried with backoff (ClientOptions::retry), moved volumes looked up again; when
// retries run out the last error is reported with the attempts made.
//
// Buffers passed to fetch and store operations must stay valid until completion. A store
// reports success only after the fileserver answered the StoreData64 call, i.e. once it
// holds every byte.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include <asio/any_io_executor.hpp>
#include <asio/associated_executor.hpp>
#include <asio/async_result.hpp>
#include <asio/post.hpp>

#include "libafs/client/cell_config.hpp"
#include "libafs/client/callback_service.hpp"
#include "libafs/client/file_ref.hpp"
#include "libafs/client/identity.hpp"
#include "libafs/client/outcome.hpp"
#include "libafs/client/resolver.hpp"
#include "libafs/client/retry_policy.hpp"
#include "libafs/client/volume_sites.hpp"
#include "libafs/error.hpp"
#include "libafs/rx/transport.hpp"
#include "libafs/wire/acl.hpp"
#include "libafs/wire/dir.hpp"
#include "libafs/wire/types.hpp"

namespace afs::client {

struct ClientOptions {
    rx::TransportOptions transport;          // the UDP socket (bind address, port) and Rx tuning
    std::vector<CellConfig> cells;           // more can be added with Client::add_cell
    std::optional<wire::afsUUID> uuid;       // unset: a fresh random UUID (a fileserver that knows a
                                             // UUID from another address checks that one first: ~0.6 s)
    // The interfaces told to fileservers; unset: this machine's IPv4 interfaces.
    std::optional<std::vector<wire::Interface>> interfaces;
    bool error_translation = true;           // ask for platform-neutral errno codes (UAE*)
    RetryPolicy retry;
    size_t connections_per_server = 2;       // Rx connections per (server, identity); 4 calls each
    size_t max_idle_connections = 64;        // idle pooled connections kept beyond this are closed
    std::chrono::seconds volume_cache_ttl{300};   // VLDB answers are trusted this long
    // Ask VL servers with VL_GetEntryByNameU (servers named by UUID, addresses from
    // VL_GetAddrsU, as OpenAFS 1.8 registers them); false: VL_GetEntryByNameN (addresses in
    // the entry). With true, a VL server without the U calls is asked with N anyway.
    bool vl_uuid_interface = true;
    uint16_t fileserver_port = 7000;          // where the servers a VLDB entry names listen
    size_t directory_cache_entries = 1024;
    size_t directory_cache_bytes = 64u << 20;
    // Called (on the transport's strand; keep it short) for each served callback call that
    // changes promises: broken files or volumes, or a reset.
    std::function<void(const CallbackEvent&)> on_callback;
};

// ---- replies ---------------------------------------------------------------------------

struct ResolveReply {
    Outcome outcome;
    Node node;
};

struct StatusReply {
    Outcome outcome;
    wire::AFSFetchStatus status;
    wire::AFSCallBack callback;
    wire::AFSVolSync volsync;
};

struct FetchReply {
    Outcome outcome;
    uint64_t bytes = 0;                      // bytes placed in the buffers (fewer at end of file)
    wire::AFSFetchStatus status;             // the file after the read (length, data version)
    wire::AFSCallBack callback;
};

struct StoreReply {
    Outcome outcome;
    wire::AFSFetchStatus status;             // the file after the store
};

struct CreateReply {
    Outcome outcome;
    FileRef file;
    wire::AFSFetchStatus status;
    wire::AFSFetchStatus dir_status;
    wire::AFSCallBack callback;
};

struct RemoveReply {
    Outcome outcome;
    wire::AFSFetchStatus dir_status;
};

struct RenameReply {
    Outcome outcome;
    wire::AFSFetchStatus old_dir_status;
    wire::AFSFetchStatus new_dir_status;
};

struct BulkStatusReply {
    Outcome outcome;
    std::vector<wire::AFSFetchStatus> statuses;   // statuses[i] answers fids[i]; see AFSFetchStatus::error()
    std::vector<wire::AFSCallBack> callbacks;
};

struct EmptyReply {
    Outcome outcome;
};

struct CapabilitiesReply {
    Outcome outcome;
    wire::Capabilities capabilities;
};

struct AclReply {
    Outcome outcome;
    wire::Acl acl;
    wire::AFSFetchStatus status;
};

struct VolumeReply {
    Outcome outcome;
    LocatedVolume volume;
};

struct DirectoryReply {
    Outcome outcome;
    std::shared_ptr<const wire::dir::Directory> directory;
    wire::AFSFetchStatus status;
};

// ---- parameters ------------------------------------------------------------------------

// One StoreData64: the data goes to [position, position + data size); the fileserver then
// sets the file's length to max(min(current, file_length), position + size), so pass the
// length the file must have (a file_length below the current length truncates first).
struct StoreParams {
    uint64_t position = 0;
    uint64_t file_length = 0;
    std::optional<uint32_t> mtime;           // Unix seconds to set as the modification time
    bool fsync = false;                      // ask the fileserver to fsync before answering
};

struct CreateParams {
    uint32_t mode = 0644;                    // 0755 is the usual for directories
    std::optional<uint32_t> mtime;           // unset: now
};

struct ClientStats {
    rx::TransportStats rx;
    uint64_t fs_calls = 0, vl_calls = 0;
    uint64_t busy_retries = 0, relocations = 0, failovers = 0;
    uint64_t directory_hits = 0, directory_misses = 0;
    uint64_t connections_opened = 0;
    std::map<uint32_t, uint64_t> callbacks_served;   // by CB opcode (aborted ones included)
};

template <class Reply>
using Completion = std::function<void(std::error_code, Reply)>;

class Client : public std::enable_shared_from_this<Client> {
public:
    // Opens the UDP socket and starts serving the callback service on it.
    static result<std::shared_ptr<Client>> create(asio::any_io_executor executor, ClientOptions options = {});
    ~Client();
    Client(const Client&) = delete;
    Client& operator=(const Client&) = delete;

    // Adds or replaces a cell. Safe from any thread.
    void add_cell(CellConfig cell);
    bool has_cell(const std::string& name) const;

    const wire::afsUUID& uuid() const;
    asio::ip::udp::endpoint local_endpoint() const;
    asio::any_io_executor get_executor() const { return executor_; }
    std::shared_ptr<rx::Transport> transport() const;
    ClientStats stats() const;

    // Fails every pending call with errc::not_connected and closes the socket.
    void close();

    // ---- names -----------------------------------------------------------------------

    // "/afs/CELL/a/b" or "afs://CELL/a/b" to a Node.
    template <class Token>
    auto async_resolve(Identity who, std::string path, ResolveOptions options, Token&& token) {
        return initiate<ResolveReply>(std::forward<Token>(token),
                                      [w = std::move(who), p = std::move(path), options](auto self, auto done) mutable {
                                          self->start_resolve(std::move(w), std::move(p), options, std::move(done));
                                      });
    }

    // The VLDB entry of a volume (a name, with or without .readonly/.backup, or a numeric id).
    template <class Token>
    auto async_lookup_volume(std::string cell, std::string volume, Token&& token) {
        return initiate<VolumeReply>(std::forward<Token>(token),
                                     [c = std::move(cell), v = std::move(volume)](auto self, auto done) mutable {
                                         self->start_lookup_volume(std::move(c), std::move(v), std::move(done));
                                     });
    }

    // A directory's parsed contents (cached by data version).
    template <class Token>
    auto async_read_directory(Identity who, FileRef dir, Token&& token) {
        return initiate<DirectoryReply>(std::forward<Token>(token),
                                        [w = std::move(who), d = std::move(dir)](auto self, auto done) mutable {
                                            self->start_read_directory(std::move(w), std::move(d), std::move(done));
                                        });
    }

    // ---- files -----------------------------------------------------------------------

    template <class Token>
    auto async_fetch_status(Identity who, FileRef file, Token&& token) {
        return initiate<StatusReply>(std::forward<Token>(token),
                                     [w = std::move(who), f = std::move(file)](auto self, auto done) mutable {
                                         self->start_fetch_status(std::move(w), std::move(f), std::move(done));
                                     });
    }

    // FetchData64 of [position, position + total buffer size) into `buffers`, in order.
    // Fewer bytes at end of file (FetchReply::bytes).
    template <class Token>
    auto async_fetch_data(Identity who, FileRef file, uint64_t position, std::span<const std::span<std::byte>> buffers,
                          Token&& token) {
        return initiate<FetchReply>(std::forward<Token>(token),
                                    [w = std::move(who), f = std::move(file), position,
                                     b = std::vector<std::span<std::byte>>(buffers.begin(), buffers.end())](
                                        auto self, auto done) mutable {
                                        self->start_fetch_data(std::move(w), std::move(f), position, std::move(b),
                                                               std::move(done));
                                    });
    }
    template <class Token>
    auto async_fetch_data(Identity who, FileRef file, uint64_t position, std::span<std::byte> buffer, Token&& token) {
        const std::span<std::byte> one[1] = {buffer};
        return async_fetch_data(std::move(who), std::move(file), position, std::span<const std::span<std::byte>>(one),
                                std::forward<Token>(token));
    }

    // StoreData64 of the concatenated `pieces` (scatter/gather, e.g. page-cache folios) at
    // params.position. One Rx call; the pieces go out as they are, with no copy beyond
    // the Rx packets. The reply's status is the file after the store.
    template <class Token>
    auto async_store_data(Identity who, FileRef file, StoreParams params,
                          std::span<const std::span<const std::byte>> pieces, Token&& token) {
        return initiate<StoreReply>(std::forward<Token>(token),
                                    [w = std::move(who), f = std::move(file), params,
                                     p = std::vector<std::span<const std::byte>>(pieces.begin(), pieces.end())](
                                        auto self, auto done) mutable {
                                        self->start_store_data(std::move(w), std::move(f), params, std::move(p),
                                                               std::move(done));
                                    });
    }
    template <class Token>
    auto async_store_data(Identity who, FileRef file, StoreParams params, std::span<const std::byte> data,
                          Token&& token) {
        const std::span<const std::byte> one[1] = {data};
        return async_store_data(std::move(who), std::move(file), params,
                                std::span<const std::span<const std::byte>>(one), std::forward<Token>(token));
    }

    // Sets the length (shorter or longer) with a StoreData64 of no data at `length`.
    template <class Token>
    auto async_truncate(Identity who, FileRef file, uint64_t length, std::optional<uint32_t> mtime, Token&& token) {
        return async_store_data(std::move(who), std::move(file), StoreParams{length, length, mtime, false},
                                std::span<const std::span<const std::byte>>{}, std::forward<Token>(token));
    }

    // StoreStatus: mode, owner, group, modification time (AFSStoreStatus::mask says which).
    template <class Token>
    auto async_store_status(Identity who, FileRef file, wire::AFSStoreStatus status, Token&& token) {
        return initiate<StoreReply>(std::forward<Token>(token),
                                    [w = std::move(who), f = std::move(file), status](auto self, auto done) mutable {
                                        self->start_store_status(std::move(w), std::move(f), status, std::move(done));
                                    });
    }

    // ---- directories -----------------------------------------------------------------

    template <class Token>
    auto async_create_file(Identity who, FileRef dir, std::string name, CreateParams params, Token&& token) {
        return initiate<CreateReply>(std::forward<Token>(token),
                                     [w = std::move(who), d = std::move(dir), n = std::move(name), params](
                                         auto self, auto done) mutable {
                                         self->start_create(false, std::move(w), std::move(d), std::move(n), params,
                                                            std::move(done));
                                     });
    }
    template <class Token>
    auto async_make_dir(Identity who, FileRef dir, std::string name, CreateParams params, Token&& token) {
        return initiate<CreateReply>(std::forward<Token>(token),
                                     [w = std::move(who), d = std::move(dir), n = std::move(name), params](
                                         auto self, auto done) mutable {
                                         self->start_create(true, std::move(w), std::move(d), std::move(n), params,
                                                            std::move(done));
                                     });
    }
    template <class Token>
    auto async_remove_file(Identity who, FileRef dir, std::string name, Token&& token) {
        return initiate<RemoveReply>(std::forward<Token>(token),
                                     [w = std::move(who), d = std::move(dir), n = std::move(name)](auto self,
                                                                                                    auto done) mutable {
                                         self->start_remove(false, std::move(w), std::move(d), std::move(n),
                                                            std::move(done));
                                     });
    }
    template <class Token>
    auto async_remove_dir(Identity who, FileRef dir, std::string name, Token&& token) {
        return initiate<RemoveReply>(std::forward<Token>(token),
                                     [w = std::move(who), d = std::move(dir), n = std::move(name)](auto self,
                                                                                                    auto done) mutable {
                                         self->start_remove(true, std::move(w), std::move(d), std::move(n),
                                                            std::move(done));
                                     });
    }
    // Both directories must be in the same volume (the fileserver answers EXDEV otherwise).
    template <class Token>
    auto async_rename(Identity who, FileRef old_dir, std::string old_name, FileRef new_dir, std::string new_name,
                      Token&& token) {
        return initiate<RenameReply>(std::forward<Token>(token),
                                     [w = std::move(who), od = std::move(old_dir), on = std::move(old_name),
                                      nd = std::move(new_dir), nn = std::move(new_name)](auto self, auto done) mutable {
                                         self->start_rename(std::move(w), std::move(od), std::move(on), std::move(nd),
                                                            std::move(nn), std::move(done));
                                     });
    }

    // ---- several files, callbacks, server ----------------------------------------------

    // InlineBulkStatus: up to 50 fids of one volume in one call; each status carries its own
    // error (AFSFetchStatus::error()) rather than failing the call.
    template <class Token>
    auto async_bulk_status(Identity who, std::string cell, std::vector<wire::AFSFid> fids, Token&& token) {
        return initiate<BulkStatusReply>(std::forward<Token>(token),
                                         [w = std::move(who), c = std::move(cell), f = std::move(fids)](
                                             auto self, auto done) mutable {
                                             self->start_bulk_status(std::move(w), std::move(c), std::move(f),
                                                                     std::move(done));
                                         });
    }

    // GiveUpCallBacks: up to 50 fids of one volume; the server stops tracking our promises.
    template <class Token>
    auto async_give_up_callbacks(Identity who, std::string cell, std::vector<wire::AFSFid> fids, Token&& token) {
        return initiate<EmptyReply>(std::forward<Token>(token),
                                    [w = std::move(who), c = std::move(cell), f = std::move(fids)](auto self,
                                                                                                    auto done) mutable {
                                        self->start_give_up_callbacks(std::move(w), std::move(c), std::move(f),
                                                                      std::move(done));
                                    });
    }

    // GetCapabilities of the fileserver holding `file`'s volume.
    template <class Token>
    auto async_get_capabilities(Identity who, FileRef file, Token&& token) {
        return initiate<CapabilitiesReply>(std::forward<Token>(token),
                                           [w = std::move(who), f = std::move(file)](auto self, auto done) mutable {
                                               self->start_get_capabilities(std::move(w), std::move(f),
                                                                            std::move(done));
                                           });
    }

    template <class Token>
    auto async_fetch_acl(Identity who, FileRef dir, Token&& token) {
        return initiate<AclReply>(std::forward<Token>(token),
                                  [w = std::move(who), d = std::move(dir)](auto self, auto done) mutable {
                                      self->start_fetch_acl(std::move(w), std::move(d), std::move(done));
                                  });
    }
    template <class Token>
    auto async_store_acl(Identity who, FileRef dir, wire::Acl acl, Token&& token) {
        return initiate<StoreReply>(std::forward<Token>(token),
                                    [w = std::move(who), d = std::move(dir), a = std::move(acl)](auto self,
                                                                                                  auto done) mutable {
                                        self->start_store_acl(std::move(w), std::move(d), std::move(a), std::move(done));
                                    });
    }

    struct Impl;

private:
    explicit Client(asio::any_io_executor executor);

    // Runs `start(self, completion)` now; the completion posts the handler to its executor.
    template <class Reply, class Token, class Start>
    auto initiate(Token&& token, Start&& start) {
        return asio::async_initiate<Token, void(std::error_code, Reply)>(
            [self = shared_from_this()](auto handler, auto start_fn) mutable {
                auto h = std::make_shared<decltype(handler)>(std::move(handler));
                auto ex = asio::get_associated_executor(*h, self->executor_);
                start_fn(self, Completion<Reply>([h, ex](std::error_code ec, Reply reply) {
                             asio::post(ex, [h, ec, r = std::move(reply)]() mutable { (*h)(ec, std::move(r)); });
                         }));
            },
            token, std::forward<Start>(start));
    }

    void start_resolve(Identity who, std::string path, ResolveOptions options, Completion<ResolveReply> done);
    void start_lookup_volume(std::string cell, std::string volume, Completion<VolumeReply> done);
    void start_read_directory(Identity who, FileRef dir, Completion<DirectoryReply> done);
    void start_fetch_status(Identity who, FileRef file, Completion<StatusReply> done);
    void start_fetch_data(Identity who, FileRef file, uint64_t position, std::vector<std::span<std::byte>> buffers,
                          Completion<FetchReply> done);
    void start_store_data(Identity who, FileRef file, StoreParams params,
                          std::vector<std::span<const std::byte>> pieces, Completion<StoreReply> done);
    void start_store_status(Identity who, FileRef file, wire::AFSStoreStatus status, Completion<StoreReply> done);
    void start_create(bool directory, Identity who, FileRef dir, std::string name, CreateParams params,
                      Completion<CreateReply> done);
    void start_remove(bool directory, Identity who, FileRef dir, std::string name, Completion<RemoveReply> done);
    void start_rename(Identity who, FileRef old_dir, std::string old_name, FileRef new_dir, std::string new_name,
                      Completion<RenameReply> done);
    void start_bulk_status(Identity who, std::string cell, std::vector<wire::AFSFid> fids,
                           Completion<BulkStatusReply> done);
    void start_give_up_callbacks(Identity who, std::string cell, std::vector<wire::AFSFid> fids,
                                 Completion<EmptyReply> done);
    void start_get_capabilities(Identity who, FileRef file, Completion<CapabilitiesReply> done);
    void start_fetch_acl(Identity who, FileRef dir, Completion<AclReply> done);
    void start_store_acl(Identity who, FileRef dir, wire::Acl acl, Completion<StoreReply> done);

    asio::any_io_executor executor_;
    std::shared_ptr<Impl> impl_;
};

}  // namespace afs::client
