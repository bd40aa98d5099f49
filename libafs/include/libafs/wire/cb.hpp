// The callback (CB) service every AFS client runs: the fileserver calls the client back, on
// the address and port the client's own calls came from, Rx service 1, rxnull. It asks who
// the client is (TellMeAboutYourself, else WhoAreYou), resets callback state
// (InitCallBackState, InitCallBackState3), probes liveness (Probe, ProbeUuid) and breaks
// callback promises (CallBack).
//
// Here the roles of rpc.hpp are reversed: the client decodes requests (decode_call) and
// encodes replies (encode_reply<cb::WhoAreYou>(...)). Opcodes we do not serve must be
// aborted with RXGEN_OPCODE (-455), which is what abort_code_for() says for them.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>
#include <variant>
#include <vector>

#include "libafs/wire/rpc.hpp"
#include "libafs/wire/types.hpp"

namespace afs::wire::cb {

inline constexpr uint16_t service_id = 1;

// ProbeUuid with a UUID that is not ours: abort the call with this code (what the OpenAFS
// cache manager sends), so the fileserver knows we are a different client.
inline constexpr int32_t probe_uuid_mismatch = 1;

// Break the promises on these files; a fid with vnode 0 and unique 0 means the whole volume.
struct CallBack {
    static constexpr uint32_t opcode = 204;
    static constexpr std::string_view name = "RXAFSCB_CallBack";
    struct Request {
        using rpc = CallBack;
        AFSCBFids fids;
        AFSCBs callbacks;  // often empty
        static void xdr(auto& io, auto& self) {
            io(xdr::array<afs_cb_max>(self.fids), xdr::array<afs_cb_max>(self.callbacks));
        }
        bool operator==(const Request&) const = default;
    };
    struct Reply : xdr::Empty {};
};

// Forget every promise from this server.
struct InitCallBackState {
    static constexpr uint32_t opcode = 205;
    static constexpr std::string_view name = "RXAFSCB_InitCallBackState";
    struct Request : xdr::Empty {
        using rpc = InitCallBackState;
    };
    struct Reply : xdr::Empty {};
};

struct Probe {
    static constexpr uint32_t opcode = 206;
    static constexpr std::string_view name = "RXAFSCB_Probe";
    struct Request : xdr::Empty {
        using rpc = Probe;
    };
    struct Reply : xdr::Empty {};
};

struct WhoAreYou {
    static constexpr uint32_t opcode = 212;
    static constexpr std::string_view name = "RXAFSCB_WhoAreYou";
    struct Request : xdr::Empty {
        using rpc = WhoAreYou;
    };
    struct Reply {
        interfaceAddr addr;
        static void xdr(auto& io, auto& self) { io(self.addr); }
        bool operator==(const Reply&) const = default;
    };
};

// Forget every promise from the server with this UUID.
struct InitCallBackState3 {
    static constexpr uint32_t opcode = 213;
    static constexpr std::string_view name = "RXAFSCB_InitCallBackState3";
    struct Request {
        using rpc = InitCallBackState3;
        afsUUID server_uuid;
        static void xdr(auto& io, auto& self) { io(self.server_uuid); }
        bool operator==(const Request&) const = default;
    };
    struct Reply : xdr::Empty {};
};

// "Are you still the client with this UUID?" Answer with an empty reply if it is ours,
// abort with probe_uuid_mismatch otherwise.
struct ProbeUuid {
    static constexpr uint32_t opcode = 214;
    static constexpr std::string_view name = "RXAFSCB_ProbeUuid";
    struct Request {
        using rpc = ProbeUuid;
        afsUUID client_uuid;
        static void xdr(auto& io, auto& self) { io(self.client_uuid); }
        bool operator==(const Request&) const = default;
    };
    struct Reply : xdr::Empty {};
};

struct TellMeAboutYourself {
    static constexpr uint32_t opcode = 65538;
    static constexpr std::string_view name = "RXAFSCB_TellMeAboutYourself";
    struct Request : xdr::Empty {
        using rpc = TellMeAboutYourself;
    };
    struct Reply {
        interfaceAddr addr;
        Capabilities capabilities;  // capability::client_* bits in word 0
        static void xdr(auto& io, auto& self) {
            io(self.addr, xdr::array<afs_capabilities_max>(self.capabilities));
        }
        bool operator==(const Reply&) const = default;
    };
};

// One decoded incoming call. Each alternative names its RPC as `rpc`, so a server can
// answer with encode_reply<typename decltype(request)::rpc>(...).
using Call = std::variant<CallBack::Request, InitCallBackState::Request, Probe::Request, WhoAreYou::Request,
                          InitCallBackState3::Request, ProbeUuid::Request, TellMeAboutYourself::Request>;

// Decodes an incoming request, opcode included. Malformed input gives an afs::errc; an
// opcode this service does not serve gives abort_error(RXGEN_OPCODE) (is_unknown_opcode).
[[nodiscard]] result<Call> decode_call(std::span<const std::byte> request);

// True for the error decode_call gives for an opcode we do not serve.
bool is_unknown_opcode(std::error_code ec);

// The abort code to send when decode_call fails: RXGEN_OPCODE (-455) for an opcode we do
// not serve, RXGEN_SS_UNMARSHAL (-453) for arguments that do not decode.
int32_t abort_code_for(std::error_code decode_error);

// The opcode and name of a decoded call, for logs.
uint32_t opcode_of(const Call& call);
std::string_view name_of(const Call& call);

}  // namespace afs::wire::cb
