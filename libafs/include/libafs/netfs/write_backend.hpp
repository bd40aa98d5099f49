// The AFS adapter for netfs-core's writes: one file's subrequests as StoreData64 calls.
//
//   auto w = *AfsWriteBackend::create(client, file.ref, {alice, bob}, options);
//   netfs::FileOptions fo;
//   fo.streams = {{w.get(), w->max_in_flight_bytes()}};
//   netfs::File f(ctx, fo);  ... f.write(...); auto ec = f.flush();
//   if (ec) std::cerr << w->failure() << "\n";
//
// Each subrequest is one StoreData64 (a streaming Rx call) whose data goes from the
// subrequest's folio pieces straight into Rx packets. Calls run asynchronously on the
// client's I/O thread and terminate their subrequest once, with all its bytes or the error.
//
// Keys. The backend holds the identities the caller supplied (up to 64). A request starts
// with the key most likely to write this file (KeyOrder::first: one that has stored into it
// before, else the first supplied). When the fileserver refuses a store for the key
// (EACCES/EPERM from the ACL, RXKADEXPIRED, RXKADBADTICKET and the other rxkad or token
// errors) the subrequest ends with netfs::RetryHint::retry: netfs pauses the request, waits
// for its calls in flight, and calls retry_request, which moves the request on to the next
// key (KeyOrder::next); the unwritten spans are then divided again and stored with it.
// When no key is left, retry_request fails the stream: flush() returns the server's error
// and failure() says which file it was and what every key got.
//
// Budget. prepare_write limits a subrequest to what one call should carry now and waits
// while the calls allowed in flight are all out (CallBudget: channels x connections calls
// of up to 4 MiB by default); issue_write takes a call from the budget. The budget shrinks
// when the fileserver said it was busy (the client waited and retried: the reply came
// after more than one attempt) or a call failed for congestion, and grows back on success;
// spans divided again after a failure follow the budget of that moment. Busy, offline and
// moved volumes are waited for and looked up again by the client (client::RetryPolicy);
// what still fails is retried here up to WriteOptions::max_transient_retries passes in a
// row.
//
// File length. The fileserver sets a file's length to max(min(current, FileLength),
// end of the store), i.e. a store whose FileLength is below the current length cuts the
// file first. Stores of one file land in any order (calls in flight together, writeback
// requests that overlap, retries), so a store carrying the length known when it was issued
// could cut what a later store had already put beyond it. Hence every store carries
// WriteOptions::file_length when the caller knows the length the file will have (netcp
// does: the source's size; a longer old file is then cut to it), else a FileLength that
// never cuts (INT64_MAX): the file then only grows, and truncating is explicit
// (truncate_file in remote_file.hpp).
//
// Thread-safe. The client and this backend must outlive every netfs::File using it (a
// File's destructor waits for its requests).
#pragma once

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "libafs/client/client.hpp"
#include "libafs/netfs/call_budget.hpp"
#include "libafs/netfs/key_order.hpp"
#include "libafs/netfs/write_stats.hpp"
#include "netfs/backend.hpp"

namespace afs::netfs {

struct WriteOptions {
    // max_calls should be 4 x ClientOptions::connections_per_server (each Rx connection has
    // 4 call channels; more calls than that only wait for a channel in the client):
    // budget_for(client options) says so. The defaults fit the default client.
    BudgetLimits budget;
    std::optional<uint64_t> file_length;  // the length the file will have, if known (see above)
    std::optional<uint32_t> mtime;        // Unix seconds every store sets; unset: the fileserver's clock
    bool fsync = false;                   // the fileserver fsyncs before answering each store
    std::string name;                     // the file in messages (its path); empty: the FileRef
    uint32_t max_transient_retries = 4;   // busy/moved/congestion retry passes in a row without a success
    ::netfs::StreamKind kind = ::netfs::StreamKind::upload;  // mirror: a second copy elsewhere
    // Asked when the fileserver refuses key k, before moving on to another: a fresh identity
    // for the same principal (a Kerberos ticket renewed from its keytab, or from a cache the
    // user renewed) replaces key k and is tried again; null declines. Asked once per key
    // until that key stores successfully again, from netfs's retry pass, without the
    // backend's lock (it may talk to a KDC).
    std::function<client::Identity(size_t key)> renew_key;
};

// The budget that fits a client: 4 call channels x ClientOptions::connections_per_server
// calls of up to `max_call_bytes`.
BudgetLimits budget_for(const client::ClientOptions& options, uint64_t max_call_bytes = 4u << 20);

class AfsWriteBackend final : public ::netfs::StreamBackend {
public:
    // errc::bad_value: no client, no key, a null key, or more than KeyOrder::max_keys keys.
    static result<std::unique_ptr<AfsWriteBackend>> create(std::shared_ptr<client::Client> client, client::FileRef file,
                                                           std::vector<client::Identity> keys, WriteOptions options = {});
    ~AfsWriteBackend() override;
    AfsWriteBackend(const AfsWriteBackend&) = delete;
    AfsWriteBackend& operator=(const AfsWriteBackend&) = delete;

    ::netfs::StreamKind kind() const override { return options_.kind; }
    const char* name() const override { return "afs"; }
    std::error_code begin_request(::netfs::WriteRequest& req, uint8_t stream) override;
    std::error_code prepare_write(::netfs::Subrequest& sreq, ::netfs::Limits& limits) override;
    void issue_write(::netfs::Subrequest& sreq) override;
    ::netfs::RetryDecision retry_request(::netfs::WriteRequest& req, uint8_t stream, std::error_code cause) override;

    // What to give netfs as StreamConfig::max_in_flight_bytes: the whole budget.
    uint64_t max_in_flight_bytes() const;

    // Changes apply to stores issued from now on.
    void set_mtime(std::optional<uint32_t> mtime);
    void set_file_length(std::optional<uint64_t> length);
    // Tells the backend that key k may write this file (e.g. it just created it): requests
    // start with it.
    void prefer_key(size_t k);

    AfsWriteStats stats() const;
    // Why the last failed request failed, naming the file, the server and every key tried;
    // empty if none failed. For the user, next to the error flush() returned.
    std::string failure() const;
    // The file's status after the latest successful store (highest data version), for the
    // cache's coherency data after an upload. Unset before any store succeeded.
    std::optional<wire::AFSFetchStatus> last_status() const;
    // The key of the latest successful store, else the key requests start with.
    size_t key_in_use() const;
    const client::FileRef& file() const { return file_; }
    // The keys now (a renewed key replaces the one supplied).
    std::vector<client::Identity> keys() const;

private:
    AfsWriteBackend(std::shared_ptr<client::Client> client, client::FileRef file, std::vector<client::Identity> keys,
                    WriteOptions options);

    struct Issued;  // what a completion needs to know about its call
    void stored(::netfs::Subrequest& sreq, const Issued& call, std::error_code ec, client::StoreReply reply);
    uint64_t file_length_for(const ::netfs::Subrequest& sreq) const;  // under mu_
    std::string target() const;
    void note_budget_locked();

    const std::shared_ptr<client::Client> client_;
    const client::FileRef file_;
    std::vector<client::Identity> keys_;  // under mu_ (renew_key replaces one)
    WriteOptions options_;

    mutable std::mutex mu_;
    std::condition_variable cv_;   // a call returned to the budget
    CallBudget budget_;
    KeyOrder order_;
    uint32_t in_flight_ = 0;       // calls out now
    uint32_t transient_passes_ = 0;  // busy/moved/congestion retry passes since the last success
    uint64_t renewed_ = 0;         // keys renewed and not yet successful since, one bit each
    std::vector<uint32_t> generation_;  // per key: how often it was renewed
    AfsWriteStats stats_;                       // also each key's latest refusal
    client::Outcome last_outcome_;              // of the latest failed store (volume, server)
    std::string failure_;
    std::optional<wire::AFSFetchStatus> last_status_;
};

}  // namespace afs::netfs
