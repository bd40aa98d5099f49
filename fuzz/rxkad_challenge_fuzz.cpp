// The client end of rxkad against a hostile server: respond() to a CHALLENGE body (v2 and
// old forms, any level), unseal() of received DATA areas at each level, and seal/unseal
// round trips between the client end and the server end of one connection.
//
// Input: byte 0 = level (low 2 bits) and mode (next bit: 0 challenge, 1 packet);
// packet mode: bytes 1..10 = call number, seq, channel, checksum; the rest is the area.
#include <cstring>
#include <vector>

#include "rxkad_setup.hpp"

namespace crypto = afs::crypto;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    if (size < 1) return 0;
    const auto& w = netcp_fuzz::rxkad_world();
    const int level = data[0] & 3;
    if (level > 2) return 0;
    auto conn = w.clients[level]->new_connection(w.conn);
    auto in = netcp_fuzz::bytes(data + 1, size - 1);

    if ((data[0] & 4) == 0) {
        auto r = conn->respond(in, {1, 2, 3, 4});
        if (r) {
            // What we answered must satisfy a server that sent this challenge.
            crypto::RxkadVerifier verifier(w.keys);
            crypto::Challenge sent;
            const bool v2 = in.size() > 8;
            auto word = [&](size_t at) {
                return uint32_t(data[1 + at]) << 24 | uint32_t(data[2 + at]) << 16 | uint32_t(data[3 + at]) << 8 |
                       uint32_t(data[4 + at]);
            };
            sent.v2 = v2;
            sent.id = v2 ? word(4) : word(0);
            const auto asked = static_cast<int32_t>(v2 ? word(8) : word(4));
            sent.min_level = static_cast<crypto::Level>(asked);
            if (asked >= 0 && asked <= level) {
                auto who = verifier.verify(*r, w.conn, sent, netcp_fuzz::rxkad_now);
                FUZZ_CHECK(who.has_value());
                FUZZ_CHECK(who->client == w.token.principal());
            }
        }
        return 0;
    }

    if (in.size() < 10) return 0;
    afs::rx::PacketIdentity p;
    p.call_number = uint32_t(data[1]) << 24 | uint32_t(data[2]) << 16 | uint32_t(data[3]) << 8 | data[4];
    p.seq = uint32_t(data[5]) << 16 | uint32_t(data[6]) << 8 | data[7];
    p.channel = data[8] & 3;
    const uint16_t checksum = static_cast<uint16_t>(data[9] << 8 | data[10]);
    std::vector<std::byte> area(in.begin() + 10, in.end());
    if (auto s = conn->unseal(p, area, checksum)) FUZZ_CHECK(s->offset + s->length <= area.size());

    // Round trip: the input's bytes as user data, sealed by the client end and unsealed by
    // a fresh connection with the same key (both ends derive the same values).
    const size_t user = std::min(in.size() - 10, conn->max_user_data(1416));
    std::vector<std::byte> buf(conn->header_size() + user + 16);
    std::memcpy(buf.data() + conn->header_size(), in.data() + 10, user);
    uint16_t sum = 0;
    auto sealed = conn->seal(p, buf, user, sum);
    FUZZ_CHECK(sealed.has_value() && *sealed <= buf.size());
    auto peer = w.clients[level]->new_connection(w.conn);
    std::vector<std::byte> got(buf.begin(), buf.begin() + static_cast<std::ptrdiff_t>(*sealed));
    auto span = peer->unseal(p, got, sum);
    FUZZ_CHECK(span.has_value());
    FUZZ_CHECK(span->length == user);
    FUZZ_CHECK(user == 0 || std::memcmp(got.data() + span->offset, in.data() + 10, user) == 0);
    return 0;
}
