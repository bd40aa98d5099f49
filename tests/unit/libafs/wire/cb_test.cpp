// The callback service: requests as a fileserver sends them, replies as we must answer.
#include <doctest/doctest.h>

#include "libafs/wire/cb.hpp"
#include "wire_test_util.hpp"

using namespace afs;
using namespace afs::wire;
using namespace afs::wire::cb;
using namespace wire_test;

namespace {

const afsUUID our_uuid = *afsUUID::parse("0f1e2d3c-4b5a-4978-8796-a5b4c3d2e1f0");

template <class T>
const T& as(const result<Call>& call) {
    REQUIRE(call);
    REQUIRE(std::holds_alternative<T>(*call));
    return std::get<T>(*call);
}

}  // namespace

TEST_CASE("CallBack: the fids whose promises are broken") {
    // Two files and a whole volume (vnode 0, unique 0); no callback structs, as viced sends.
    const Bytes req = words({204, 3, 536870912, 42, 7, 536870912, 1, 1, 536870915, 0, 0, 0});
    auto call = decode_call(req);
    const auto& cb = as<CallBack::Request>(call);
    REQUIRE(cb.fids.size() == 3);
    CHECK(cb.fids[0] == AFSFid{536870912, 42, 7});
    CHECK(cb.fids[2].is_whole_volume());
    CHECK(cb.callbacks.empty());
    CHECK(opcode_of(*call) == 204u);
    CHECK(name_of(*call) == "RXAFSCB_CallBack");
    CHECK(encode_reply<CallBack>({})->empty());

    CHECK(decode_call(cat({words({204, 51}), repeat(0, 51 * 3), words({0})})).error() == errc::too_large);
    CHECK(decode_call(words({204, 1, 1, 2, 3, 51})).error() == errc::too_large);
    CHECK(decode_call(words({204, 2, 1, 2, 3})).error() == errc::truncated);
    CHECK(decode_call(words({204, 0, 0, 0})).error() == errc::trailing_bytes);
}

TEST_CASE("requests without arguments") {
    CHECK(std::holds_alternative<InitCallBackState::Request>(*decode_call(words({205}))));
    CHECK(std::holds_alternative<Probe::Request>(*decode_call(words({206}))));
    CHECK(std::holds_alternative<WhoAreYou::Request>(*decode_call(words({212}))));
    CHECK(std::holds_alternative<TellMeAboutYourself::Request>(*decode_call(words({65538}))));
    CHECK(decode_call(words({206, 0})).error() == errc::trailing_bytes);
    CHECK(encode_reply<Probe>({})->empty());
    CHECK(encode_reply<InitCallBackState>({})->empty());
}

TEST_CASE("InitCallBackState3 and ProbeUuid carry a UUID") {
    const Bytes uuid = *xdr::encode(our_uuid);
    CHECK(as<InitCallBackState3::Request>(decode_call(cat({words({213}), uuid}))).server_uuid == our_uuid);
    const auto probe_call = decode_call(cat({words({214}), uuid}));
    const auto& probe = as<ProbeUuid::Request>(probe_call);
    CHECK(probe.client_uuid == our_uuid);
    CHECK(decode_call(cat({words({214}), prefix(uuid, 40)})).error() == errc::truncated);
    CHECK(probe_uuid_mismatch == 1);
}

TEST_CASE("WhoAreYou and TellMeAboutYourself replies") {
    const Interface ifs[] = {{0x0A000002, 0xFFFFFF00, 1500}};
    const interfaceAddr addr = *make_interface_addr(our_uuid, ifs);

    auto who = encode_reply<WhoAreYou>({addr});
    REQUIRE(who);
    CHECK(who->size() == 432);
    CHECK(prefix(*who, 8) == words({1, 0x0f1e2d3c}));

    auto tell = encode_reply<TellMeAboutYourself>({addr, {capability::client_errortrans}});
    REQUIRE(tell);
    CHECK(tell->size() == 432 + 8);
    CHECK(Bytes(tell->begin() + 432, tell->end()) == words({1, 1}));
    CHECK(*decode_reply<TellMeAboutYourself>(*tell) == TellMeAboutYourself::Reply{addr, {1}});
    CHECK(encode_reply<TellMeAboutYourself>({addr, Capabilities(197)}).error() == errc::too_large);

    // The server side of the exchange, for a fake fileserver.
    CHECK(*encode_request<TellMeAboutYourself>({}) == words({65538}));
    CHECK(*encode_request<ProbeUuid>({our_uuid}) == cat({words({214}), *xdr::encode(our_uuid)}));
}

TEST_CASE("opcodes we do not serve are answered with RXGEN_OPCODE") {
    for (uint32_t op : {0u, 203u, 207u, 208u, 209u, 210u, 211u, 215u, 216u, 217u, 218u, 65536u, 65537u, 65539u}) {
        CAPTURE(op);
        auto call = decode_call(words({op, 0}));
        REQUIRE(!call);
        CHECK(is_unknown_opcode(call.error()));
        CHECK(abort_code_for(call.error()) == abort_code::RXGEN_OPCODE);
        CHECK(to_abort_code(call.error()) == -455);
    }
    // Malformed arguments of a known RPC are an unmarshalling failure instead.
    auto bad = decode_call(words({213, 1}));
    REQUIRE(!bad);
    CHECK(!is_unknown_opcode(bad.error()));
    CHECK(abort_code_for(bad.error()) == abort_code::RXGEN_SS_UNMARSHAL);
    CHECK(decode_call(Bytes{}).error() == errc::truncated);
    CHECK(decode_call(raw({0, 0, 0})).error() == errc::truncated);
}

TEST_CASE("a server can answer every call generically") {
    const std::vector<Bytes> requests = {
        words({204, 1, 1, 2, 3, 1, 1, 60, 1}), words({205}), words({206}), words({212}),
        cat({words({213}), *xdr::encode(our_uuid)}), cat({words({214}), *xdr::encode(our_uuid)}), words({65538}),
    };
    for (const auto& req : requests) {
        auto call = decode_call(req);
        REQUIRE(call);
        // Each decoded request re-encodes to the bytes it came from, through its own RPC.
        const auto again = std::visit(
            [](const auto& r) { return *encode_request<typename std::decay_t<decltype(r)>::rpc>(r); }, *call);
        CHECK(again == req);
    }
}
