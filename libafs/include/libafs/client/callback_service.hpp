// The answers an AFS client gives the fileserver's calls to its callback (CB) service.
//
// A fileserver calls back on the address and port the client calls from (Rx service 1,
// rxnull) before it runs the client's first call: who are you (TellMeAboutYourself, else
// WhoAreYou), forget your promises (InitCallBackState, InitCallBackState3), are you alive
// (Probe, ProbeUuid), and later CallBack to break promises. Without answers the client's
// first call stalls until the fileserver gives up on it (tens of seconds).
//
// This part is pure: bytes of one request in, the reply bytes (or the abort code) and what
// happened to callback promises out. The client serves it on its Rx transport.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "libafs/wire/cb.hpp"
#include "libafs/wire/types.hpp"

namespace afs::client {

// How we describe ourselves.
struct CallbackIdentity {
    wire::afsUUID uuid;                       // stable for the client's life, fresh per client
    std::vector<wire::Interface> interfaces;  // at most 32 are sent
    uint32_t capabilities = wire::capability::client_errortrans;
};

// What a served call means for cached state.
struct CallbackEvent {
    enum class Kind : uint8_t {
        none,    // nothing changes (Probe, WhoAreYou...)
        broken,  // promises on `fids` are broken; a fid with vnode 0 and unique 0 is a whole volume
        reset,   // every promise from the calling server is gone (InitCallBackState, InitCallBackState3)
    };
    Kind kind = Kind::none;
    std::vector<wire::AFSFid> fids;
};

struct CallbackAnswer {
    int32_t abort_code = 0;          // nonzero: abort the call with it, send no reply
    std::vector<std::byte> reply;    // the reply's bytes otherwise (may be empty)
    CallbackEvent event;
    uint32_t opcode = 0;             // 0 when the request did not even hold one
    std::string_view rpc;            // "RXAFSCB_TellMeAboutYourself"; empty for unknown opcodes
};

// Answers one request (opcode included). Unknown opcodes: RXGEN_OPCODE; arguments that do
// not decode: RXGEN_SS_UNMARSHAL; ProbeUuid with another UUID: wire::cb::probe_uuid_mismatch.
CallbackAnswer answer_callback(const CallbackIdentity& self, std::span<const std::byte> request);

// The largest request we read: a CallBack with 50 fids and 50 promises is about 1.2 KiB.
inline constexpr size_t max_callback_request = 16384;

}  // namespace afs::client
