// A blocking AFS client for tests, tools and simple programs, on top of Client.
//
// BlockingClient runs its own I/O thread; every call blocks the calling thread until the
// operation ends (never call it from a completion handler of the same client). Errors are
// Error values: the std::error_code plus the Outcome naming what failed where, so
// `r.error().message()` can be shown to a user as it is.
//
// Besides one call per RPC it offers path conveniences (create_file("/afs/cell/dir/x"))
// and pipelined transfers: upload() keeps `depth` StoreData64 calls of `chunk` bytes in
// flight, download() as many FetchData64 calls.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "libafs/client/client.hpp"

namespace afs::client {

struct TransferOptions {
    uint64_t chunk = 16u << 20;   // bytes per FetchData64 / StoreData64 call
    size_t depth = 2;             // calls in flight at once
};

class BlockingClient {
public:
    static result<std::unique_ptr<BlockingClient>> create(ClientOptions options = {});
    ~BlockingClient();
    BlockingClient(const BlockingClient&) = delete;
    BlockingClient& operator=(const BlockingClient&) = delete;

    Client& async() { return *client_; }
    std::shared_ptr<Client> client() const { return client_; }

    // ---- one call each ---------------------------------------------------------------
    Result<Node> resolve(const Identity& who, std::string_view path, ResolveOptions options = {});
    Result<LocatedVolume> lookup_volume(const std::string& cell, const std::string& volume);
    Result<DirectoryReply> read_directory(const Identity& who, const FileRef& dir);
    Result<StatusReply> fetch_status(const Identity& who, const FileRef& file);
    Result<FetchReply> fetch_data(const Identity& who, const FileRef& file, uint64_t position, std::span<std::byte> buffer);
    Result<StoreReply> store_data(const Identity& who, const FileRef& file, const StoreParams& params,
                                  std::span<const std::byte> data);
    Result<StoreReply> truncate(const Identity& who, const FileRef& file, uint64_t length);
    Result<StoreReply> store_status(const Identity& who, const FileRef& file, const wire::AFSStoreStatus& status);
    Result<CreateReply> create_file(const Identity& who, const FileRef& dir, const std::string& name,
                                    CreateParams params = {});
    Result<CreateReply> make_dir(const Identity& who, const FileRef& dir, const std::string& name,
                                 CreateParams params = {0755, {}});
    Result<RemoveReply> remove_file(const Identity& who, const FileRef& dir, const std::string& name);
    Result<RemoveReply> remove_dir(const Identity& who, const FileRef& dir, const std::string& name);
    Result<RenameReply> rename(const Identity& who, const FileRef& old_dir, const std::string& old_name,
                               const FileRef& new_dir, const std::string& new_name);
    Result<BulkStatusReply> bulk_status(const Identity& who, const std::string& cell, std::vector<wire::AFSFid> fids);
    Result<EmptyReply> give_up_callbacks(const Identity& who, const std::string& cell, std::vector<wire::AFSFid> fids);
    Result<CapabilitiesReply> get_capabilities(const Identity& who, const FileRef& file);
    Result<AclReply> fetch_acl(const Identity& who, const FileRef& dir);
    Result<StoreReply> store_acl(const Identity& who, const FileRef& dir, const wire::Acl& acl);

    // ---- by path ---------------------------------------------------------------------
    Result<CreateReply> create_file(const Identity& who, std::string_view path, CreateParams params = {});
    Result<CreateReply> make_dir(const Identity& who, std::string_view path, CreateParams params = {0755, {}});
    Result<RemoveReply> remove_file(const Identity& who, std::string_view path);
    Result<RemoveReply> remove_dir(const Identity& who, std::string_view path);
    Result<RenameReply> rename(const Identity& who, std::string_view from, std::string_view to);
    // The whole file; files longer than `max_size` are refused (EFBIG).
    Result<std::vector<std::byte>> read_file(const Identity& who, std::string_view path, uint64_t max_size = 64u << 20);
    // Creates the file if it is missing, then stores `data` as its whole content.
    Result<StoreReply> write_file(const Identity& who, std::string_view path, std::span<const std::byte> data,
                                  std::optional<uint32_t> mtime = {});

    // ---- pipelined transfers -----------------------------------------------------------
    // Fetches the whole file; `sink(offset, bytes)` gets the pieces in order, on the calling
    // thread; an error it returns stops the transfer. Returns the bytes fetched.
    Result<uint64_t> download(const Identity& who, const FileRef& file,
                              const std::function<std::error_code(uint64_t offset, std::span<const std::byte>)>& sink,
                              TransferOptions options = {});
    // Stores `size` bytes as the file's whole content (longer files are cut to `size`);
    // `source(offset, buffer)` fills each piece, on the calling thread. Returns the status
    // after the last store.
    Result<StoreReply> upload(const Identity& who, const FileRef& file, uint64_t size,
                              const std::function<std::error_code(uint64_t offset, std::span<std::byte>)>& source,
                              std::optional<uint32_t> mtime = {}, TransferOptions options = {});

private:
    struct Loop;
    BlockingClient(std::unique_ptr<Loop> loop, std::shared_ptr<Client> client);
    std::unique_ptr<Loop> loop_;
    std::shared_ptr<Client> client_;
};

}  // namespace afs::client
