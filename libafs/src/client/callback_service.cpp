// Answers to the fileserver's callback calls (see callback_service.hpp).
#include "libafs/client/callback_service.hpp"

#include <algorithm>
#include <type_traits>

#include "libafs/error.hpp"

namespace afs::client {
namespace {

wire::interfaceAddr interface_addr(const CallbackIdentity& self) {
    const size_t n = std::min(self.interfaces.size(), wire::afs_max_interface_addr);
    auto addr = wire::make_interface_addr(self.uuid, std::span(self.interfaces.data(), n));
    return addr ? *addr : wire::interfaceAddr{};  // cannot fail with at most 32 interfaces
}

template <class R>
void encode(CallbackAnswer& a, const typename R::Reply& reply) {
    if (auto ec = wire::encode_reply<R>(a.reply, reply)) {
        a.reply.clear();
        a.abort_code = abort_code::RXGEN_SS_MARSHAL;
    }
}

}  // namespace

CallbackAnswer answer_callback(const CallbackIdentity& self, std::span<const std::byte> request) {
    namespace cb = wire::cb;
    CallbackAnswer a;
    auto op = wire::opcode_of(request);
    if (!op) {
        a.abort_code = abort_code::RXGEN_SS_UNMARSHAL;
        return a;
    }
    a.opcode = *op;
    auto call = cb::decode_call(request);
    if (!call) {
        a.abort_code = cb::abort_code_for(call.error());
        return a;
    }
    a.rpc = cb::name_of(*call);
    std::visit(
        [&](const auto& req) {
            using R = typename std::decay_t<decltype(req)>::rpc;
            if constexpr (std::is_same_v<R, cb::CallBack>) {
                a.event.kind = CallbackEvent::Kind::broken;
                a.event.fids = req.fids;
            } else if constexpr (std::is_same_v<R, cb::InitCallBackState> || std::is_same_v<R, cb::InitCallBackState3>) {
                a.event.kind = CallbackEvent::Kind::reset;
            } else if constexpr (std::is_same_v<R, cb::Probe>) {
                // Alive: the empty reply says so.
            } else if constexpr (std::is_same_v<R, cb::ProbeUuid>) {
                // Another UUID: we are not the client the server remembers at this address.
                if (req.client_uuid != self.uuid) a.abort_code = cb::probe_uuid_mismatch;
            } else if constexpr (std::is_same_v<R, cb::WhoAreYou>) {
                encode<R>(a, cb::WhoAreYou::Reply{interface_addr(self)});
            } else if constexpr (std::is_same_v<R, cb::TellMeAboutYourself>) {
                encode<R>(a, cb::TellMeAboutYourself::Reply{interface_addr(self), wire::Capabilities{self.capabilities}});
            } else {
                static_assert(sizeof(R) == 0, "a callback RPC without an answer");
            }
        },
        *call);
    return a;
}

}  // namespace afs::client
