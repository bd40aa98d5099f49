// Rx ACK bodies: decode_ack() (fixed part, acks[], the 0..4 trailer words read by length),
// re-encoded with encode_ack() and decoded again to the same ACK.
#include <cstring>
#include <vector>

#include "fuzz_common.hpp"
#include "libafs/rx/ack.hpp"
#include "libafs/rx/packet.hpp"

namespace rx = afs::rx;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    auto ack = rx::decode_ack(netcp_fuzz::bytes(data, size));
    if (!ack) return 0;
    FUZZ_CHECK(ack->acks.size() <= rx::max_acks);
    FUZZ_CHECK(ack->trailer.words <= 4);
    FUZZ_CHECK(rx::ack_body_size(ack->acks.size(), ack->trailer.words) <= size);
    for (size_t i = 0; i < ack->acks.size(); ++i) (void)ack->acked(i);
    (void)ack->reason_code();
    std::vector<std::byte> out(rx::ack_body_size(ack->acks.size(), ack->trailer.words));
    auto n = rx::encode_ack(*ack, out);
    FUZZ_CHECK(n.has_value() && *n == out.size());
    auto again = rx::decode_ack(out);
    FUZZ_CHECK(again.has_value());
    FUZZ_CHECK(again->buffer_space == ack->buffer_space && again->max_skew == ack->max_skew);
    FUZZ_CHECK(again->first_packet == ack->first_packet && again->previous_packet == ack->previous_packet);
    FUZZ_CHECK(again->serial == ack->serial && again->reason == ack->reason);
    FUZZ_CHECK(again->acks.size() == ack->acks.size());
    FUZZ_CHECK(ack->acks.empty() || std::memcmp(again->acks.data(), ack->acks.data(), ack->acks.size()) == 0);
    FUZZ_CHECK(again->trailer.words == ack->trailer.words);
    FUZZ_CHECK(again->trailer.max_mtu == ack->trailer.max_mtu && again->trailer.if_mtu == ack->trailer.if_mtu);
    FUZZ_CHECK(again->trailer.rwind == ack->trailer.rwind && again->trailer.jumbo_max == ack->trailer.jumbo_max);
    return 0;
}
