// The callback service's answers, checked with the wire codecs the fileserver side would use.
#include <doctest/doctest.h>

#include "libafs/client/callback_service.hpp"
#include "libafs/error.hpp"

using namespace afs;
using namespace afs::client;
namespace cb = afs::wire::cb;

namespace {

CallbackIdentity self() {
    CallbackIdentity id;
    const std::array<uint8_t, 16> r{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
    id.uuid = wire::afsUUID::from_random_bytes(r);
    id.interfaces = {{0x7F000001, 0xFF000000, 65535}, {0x0A000005, 0xFFFFFF00, 1500}};
    return id;
}

template <class R>
std::vector<std::byte> request(const typename R::Request& req = {}) {
    auto bytes = wire::encode_request<R>(req);
    REQUIRE(bytes);
    return *bytes;
}

}  // namespace

TEST_CASE("TellMeAboutYourself: our UUID, interfaces and error-translation capability") {
    const auto id = self();
    const auto a = answer_callback(id, request<cb::TellMeAboutYourself>());
    CHECK(a.abort_code == 0);
    CHECK(a.opcode == 65538);
    CHECK(a.rpc == "RXAFSCB_TellMeAboutYourself");
    CHECK(a.event.kind == CallbackEvent::Kind::none);
    auto reply = wire::decode_reply<cb::TellMeAboutYourself>(a.reply);
    REQUIRE(reply);
    CHECK(reply->addr.uuid == id.uuid);
    CHECK(reply->addr.number_of_interfaces == 2);
    CHECK(reply->addr.addr_in[0] == 0x7F000001u);
    CHECK(reply->addr.subnetmask[1] == 0xFFFFFF00u);
    CHECK(reply->addr.mtu[1] == 1500u);
    CHECK(wire::has_capability(reply->capabilities, wire::capability::client_errortrans));
    CHECK(a.reply.size() == 432 + 4 + 4);

    auto plain = id;
    plain.capabilities = 0;
    auto r2 = wire::decode_reply<cb::TellMeAboutYourself>(answer_callback(plain, request<cb::TellMeAboutYourself>()).reply);
    REQUIRE(r2);
    CHECK(!wire::has_capability(r2->capabilities, wire::capability::client_errortrans));
}

TEST_CASE("WhoAreYou: the same interfaceAddr, and more than 32 interfaces are cut to 32") {
    auto id = self();
    auto w = wire::decode_reply<cb::WhoAreYou>(answer_callback(id, request<cb::WhoAreYou>()).reply);
    REQUIRE(w);
    CHECK(w->addr.uuid == id.uuid);
    id.interfaces.assign(40, wire::Interface{0x0A000001, 0xFF000000, 1500});
    auto many = wire::decode_reply<cb::WhoAreYou>(answer_callback(id, request<cb::WhoAreYou>()).reply);
    REQUIRE(many);
    CHECK(many->addr.number_of_interfaces == 32);
}

TEST_CASE("ProbeUuid: empty reply for our UUID, an abort for another") {
    const auto id = self();
    const auto ours = answer_callback(id, request<cb::ProbeUuid>({id.uuid}));
    CHECK(ours.abort_code == 0);
    CHECK(ours.reply.empty());
    auto other_uuid = id.uuid;
    other_uuid.time_low ^= 1;
    const auto theirs = answer_callback(id, request<cb::ProbeUuid>({other_uuid}));
    CHECK(theirs.abort_code == cb::probe_uuid_mismatch);
}

TEST_CASE("Probe, InitCallBackState, InitCallBackState3 and CallBack") {
    const auto id = self();
    const auto probe = answer_callback(id, request<cb::Probe>());
    CHECK(probe.abort_code == 0);
    CHECK(probe.reply.empty());
    CHECK(probe.event.kind == CallbackEvent::Kind::none);

    const auto init = answer_callback(id, request<cb::InitCallBackState>());
    CHECK(init.abort_code == 0);
    CHECK(init.event.kind == CallbackEvent::Kind::reset);
    const auto init3 = answer_callback(id, request<cb::InitCallBackState3>({id.uuid}));
    CHECK(init3.abort_code == 0);
    CHECK(init3.event.kind == CallbackEvent::Kind::reset);

    cb::CallBack::Request br;
    br.fids = {{536870918, 12, 34}, {536870921, 0, 0}};
    const auto broken = answer_callback(id, request<cb::CallBack>(br));
    CHECK(broken.abort_code == 0);
    CHECK(broken.reply.empty());
    CHECK(broken.event.kind == CallbackEvent::Kind::broken);
    CHECK(broken.event.fids == br.fids);
    CHECK(broken.event.fids[1].is_whole_volume());
}

TEST_CASE("unknown opcodes, bad arguments and empty requests are aborted") {
    const auto id = self();
    std::vector<std::byte> unknown = {std::byte{0}, std::byte{0}, std::byte{0}, std::byte{207}};  // GetLock
    CHECK(answer_callback(id, unknown).abort_code == abort_code::RXGEN_OPCODE);
    CHECK(answer_callback(id, unknown).opcode == 207);
    CHECK(answer_callback(id, {}).abort_code == abort_code::RXGEN_SS_UNMARSHAL);
    auto short_probe = request<cb::ProbeUuid>({});
    short_probe.resize(short_probe.size() - 4);
    CHECK(answer_callback(id, short_probe).abort_code == abort_code::RXGEN_SS_UNMARSHAL);
    auto lying = request<cb::CallBack>({});
    lying[7] = std::byte{200};  // 200 fids announced, more than AFSCBMAX
    CHECK(answer_callback(id, lying).abort_code == abort_code::RXGEN_SS_UNMARSHAL);
}
