// The AFS read side for netfs-core's buffered reads: one FetchData64 per call, straight
// into the folio netfs fills.
//
//   auto r = *AfsReadBackend::create(client, file.ref, {alice, bob});
//   netfs::FileOptions fo;
//   fo.reader = r.get();
//   fo.remote_size = file.size();
//   netfs::File f(ctx, fo);  ... f.read(pos, buffer) ...
//
// Keys as for writes (KeyOrder): a read starts with the key that last fetched from this
// file, and a fetch the fileserver refuses for a key (ACL, expired or rejected ticket) is
// made again with the next, until one works or every key was refused. Busy and moved
// volumes are waited for by the client.
//
// Thread-safe. The client and this backend must outlive every netfs::File using it.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "libafs/client/client.hpp"
#include "libafs/netfs/key_order.hpp"
#include "netfs/read.hpp"

namespace afs::netfs {

struct ReadOptions {
    // The largest FetchData64 netfs asks for. Bigger calls keep Rx's window full longer per
    // call; netfs issues several at once for readahead (FileOptions::readahead_max).
    uint64_t max_read = 1u << 20;
    std::string name;  // the file in messages (its path); empty: the FileRef
    // The data version the file had when the copy began (its FetchStatus). Each fetch's
    // reply carries the file's status: one showing another version means the bytes are
    // not all of one file, and the read fails with ::netfs::errc::remote_changed (a
    // message naming both versions in failure()). Unset: any version is taken.
    std::optional<uint64_t> data_version;
};

struct AfsReadStats {
    uint64_t fetches = 0;        // FetchData64 calls made
    uint64_t bytes = 0;          // bytes fetched
    uint64_t refused = 0;        // fetches refused for their key (made again with another)
    uint64_t key_switches = 0;   // fetches that moved on to another key
    uint64_t failed = 0;         // reads that failed
    uint64_t changed = 0;        // fetches whose reply showed another data version
};

class AfsReadBackend final : public ::netfs::ReadBackend {
public:
    // errc::bad_value: no client, no key, a null key, more than KeyOrder::max_keys keys, or
    // max_read 0.
    static result<std::unique_ptr<AfsReadBackend>> create(std::shared_ptr<client::Client> client, client::FileRef file,
                                                          std::vector<client::Identity> keys, ReadOptions options = {});

    uint64_t max_read() const override { return options_.max_read; }
    void read(uint64_t pos, std::span<std::byte> dst, std::function<void(std::error_code, size_t)> done) override;

    AfsReadStats stats() const;
    // Why the last failed read failed (file, server, every key tried); empty if none failed.
    std::string failure() const;
    // The status a fetch reported when it showed another data version than
    // ReadOptions::data_version (the first such reply); empty if none did.
    std::optional<wire::AFSFetchStatus> changed_to() const;

private:
    AfsReadBackend(std::shared_ptr<client::Client> client, client::FileRef file, std::vector<client::Identity> keys,
                   ReadOptions options);

    struct Read;  // one read() and the keys it tried
    void attempt(std::shared_ptr<Read> r, size_t key);
    void fetched(std::shared_ptr<Read> r, size_t key, std::error_code ec, client::FetchReply reply);

    const std::shared_ptr<client::Client> client_;
    const client::FileRef file_;
    const std::vector<client::Identity> keys_;
    const ReadOptions options_;

    mutable std::mutex mu_;
    KeyOrder order_;
    AfsReadStats stats_;
    std::string failure_;
    std::optional<wire::AFSFetchStatus> changed_to_;
};

}  // namespace afs::netfs
