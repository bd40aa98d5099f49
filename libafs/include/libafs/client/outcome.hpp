// What an AFS operation was about, for messages a user can act on and for callers that
// decide what to do next (switch keys, give up).
//
// An error travels as a std::error_code (afs::abort_error for what a server aborted with,
// afs::errc for what libafs detected), exactly as Rx reports it; an Outcome travels beside
// it and names the RPC, the file, the volume, the server and the identity, so that
//     outcome.message(ec)
// reads "RXAFS_StoreData64 of /afs/test.afs/test/bob-only/x (test.afs:536870918.12.5) in
// volume test (536870918) on 127.1.0.1:7000 as rxkad crypt as alice@test.afs (kvno 3):
// Permission denied".
#pragma once

#include <cstdint>
#include <string>
#include <system_error>

#include <tl/expected.hpp>

namespace afs::client {

struct Outcome {
    std::string operation;  // "RXAFS_FetchStatus", "VL_GetEntryByNameU", "resolve"
    std::string target;     // a path, a FileRef ("test.afs:536870918.1.1"), "volume root.cell"
    std::string volume;     // "test (536870918)", when known
    std::string server;     // "127.1.0.1:7000", the last server called
    std::string identity;   // "rxnull (anonymous)"
    uint32_t attempts = 0;  // calls made, retries after busy or moved volumes included

    // "RXAFS_FetchStatus of X in volume V on S as I" (parts that are unknown are left out;
    // ", after N attempts" when there were retries).
    std::string describe() const;
    // describe() + ": " + ec.message().
    std::string message(std::error_code ec) const;
};

// An error with its context, for the blocking facade.
struct Error {
    std::error_code code;
    Outcome outcome;
    std::string message() const { return outcome.message(code); }
};

template <class T>
using Result = tl::expected<T, Error>;

}  // namespace afs::client
