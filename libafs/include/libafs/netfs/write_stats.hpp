// Counters of an AFS upload through netfs-core, for `netcp --stats` and tests. netfs-core's
// own counters (netfs::Stats) say what the engine did; these say what AFS answered.
#pragma once

#include <cstdint>
#include <string>
#include <system_error>
#include <vector>

namespace afs::netfs {

struct KeyStats {
    std::string identity;        // client::describe(key)
    uint64_t stores = 0;         // StoreData64 calls made with it
    uint64_t bytes = 0;          // bytes stored with it
    uint64_t refused = 0;        // calls the fileserver refused for it
    std::error_code refusal;     // the latest refusal (EACCES, RXKADEXPIRED...)
};

struct AfsWriteStats {
    uint64_t stores = 0;          // StoreData64 calls started (one per subrequest issue)
    uint64_t stored = 0;          // calls that succeeded
    uint64_t bytes = 0;           // bytes the fileserver acknowledged
    uint64_t refused = 0;         // subrequests refused for the key they used (retried with another)
    uint64_t key_switches = 0;    // times a request moved on to another key
    uint64_t key_renewals = 0;    // refused keys replaced by a fresh identity (renew_key)
    uint64_t keys_exhausted = 0;  // requests that failed because no key was left
    uint64_t busy = 0;            // calls that met a busy or offline volume (waited for by the client, or failed)
    uint64_t moved = 0;           // calls that failed on a moved volume the client could not find again
    uint64_t congestion = 0;      // calls that got no answer in time
    uint64_t retries = 0;         // subrequests terminated with a retry hint
    uint64_t failed = 0;          // failures netfs was told are final: calls with a permanent
                                  // error, requests with no key or retry left
    // The in-flight budget: now, its ceiling, the lowest it went, and how often it moved.
    uint32_t budget_calls = 0, budget_max_calls = 0, budget_min_calls = 0;
    uint64_t budget_call_bytes = 0, budget_bytes = 0, budget_min_bytes = 0;
    uint64_t budget_shrinks = 0, budget_grows = 0;
    std::vector<KeyStats> keys;   // in the order supplied

    // "afs: 64 stores (64 ok, 268435456 bytes), 1 refused, 1 key switch, 0 busy, 0 congestion,
    //  budget 8 x 4194304 (lowest 8 calls)" plus one line per key that was used.
    std::string to_string() const;
};

}  // namespace afs::netfs
