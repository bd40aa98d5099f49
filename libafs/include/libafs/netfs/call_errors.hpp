// What a failed StoreData64 (or FetchData64) means for a transfer through netfs-core.
//
// The client already waits out busy volumes and re-asks the VL server after VMOVED/VNOVOL
// (client::RetryPolicy); what reaches the write backend is what those retries could not
// fix, plus everything the client leaves to its caller. The backend retries a subrequest
// (netfs::RetryHint::retry) for every class but `silent` and `permanent`: with another key for `key`,
// with a smaller budget for `busy` and `congestion`, as is for `moved` (the client looks
// the volume up again on the next call). The read backend only acts on `key`: it fetches
// again with the next key.
#pragma once

#include <cstdint>
#include <system_error>

namespace afs::netfs {

enum class CallFailure : uint8_t {
    none,        // success
    key,         // this identity may not do it: ACL refusal, expired or rejected ticket
    busy,        // busy, offline, salvaging or restarting volume, beyond the client's waiting
    moved,       // moved or vanished volume, beyond the client's re-lookups
    congestion,  // the server timed the call out (RX_CALL_TIMEOUT, RX_CALL_DEAD aborts)
    silent,      // our side gave up waiting: nothing heard for the dead time, or no
                 // progress for the idle timeout. The caller chose how long to wait (netcp's
                 // --timeout); waiting that long again would only multiply it: not retried
    permanent,   // the rest (disk full, over quota, protocol errors...): reported as it is
};

CallFailure classify_call(std::error_code ec) noexcept;
const char* to_string(CallFailure f) noexcept;

}  // namespace afs::netfs
