// The callback service's decoder: decode_call() of whatever a fileserver (or anyone who
// can reach our UDP port) sends, with abort_code_for() for what does not decode; a decoded
// call must encode back to the same bytes' length and decode to the same call. The
// replies we send (WhoAreYou, TellMeAboutYourself) are round-tripped too.
#include <variant>

#include "libafs/wire/cb.hpp"
#include "xdr_rpc.hpp"

namespace cb = afs::wire::cb;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    auto in = netcp_fuzz::bytes(data, size);
    auto call = cb::decode_call(in);
    if (!call) {
        const int32_t code = cb::abort_code_for(call.error());
        FUZZ_CHECK(code == -455 || code == -453);
        FUZZ_CHECK(cb::is_unknown_opcode(call.error()) == (code == -455));
    } else {
        (void)cb::name_of(*call);
        FUZZ_CHECK(afs::wire::opcode_of(in).value() == cb::opcode_of(*call));
        std::visit(
            [&](const auto& req) {
                using Rpc = typename std::decay_t<decltype(req)>::rpc;
                auto enc = afs::wire::encode_request<Rpc>(req);
                FUZZ_CHECK(enc.has_value());
                FUZZ_CHECK(enc->size() == size);
                auto again = cb::decode_call(*enc);
                FUZZ_CHECK(again.has_value());
                FUZZ_CHECK(std::holds_alternative<std::decay_t<decltype(req)>>(*again));
                FUZZ_CHECK(std::get<std::decay_t<decltype(req)>>(*again) == req);
            },
            *call);
    }
    netcp_fuzz::dispatch_rpc<cb::CallBack, cb::InitCallBackState3, cb::ProbeUuid, cb::WhoAreYou,
                             cb::TellMeAboutYourself>(data, size);
    return 0;
}
