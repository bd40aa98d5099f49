// Rx datagrams: decode_header() (round trip through encode_header), the ABORT body,
// and a DATA datagram's jumbogram split (split_jumbogram), rebuilt with build_jumbogram
// and split again to the same packets.
#include <array>
#include <cstring>
#include <vector>

#include "fuzz_common.hpp"
#include "libafs/rx/jumbo.hpp"
#include "libafs/rx/packet.hpp"

namespace rx = afs::rx;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    auto in = netcp_fuzz::bytes(data, size);
    auto h = rx::decode_header(in);
    if (!h) return 0;
    (void)rx::to_string(h->type);
    std::array<std::byte, rx::header_size> hb{};
    rx::encode_header(*h, hb);
    FUZZ_CHECK(std::memcmp(hb.data(), data, rx::header_size) == 0);
    FUZZ_CHECK(rx::decode_header(hb).value() == *h);

    auto body = in.subspan(rx::header_size);
    if (h->type == rx::PacketType::abort) {
        if (auto code = rx::decode_abort_body(body)) {
            std::array<std::byte, 4> ab{};
            rx::encode_abort_body(*code, ab);
            FUZZ_CHECK(std::memcmp(ab.data(), body.data(), 4) == 0);
        }
    }
    // Every datagram as if it were DATA, for the jumbogram split.
    std::vector<std::byte> payload(body.begin(), body.end());
    std::array<rx::PacketView, rx::max_packets_per_datagram> views{};
    auto n = rx::split_jumbogram(*h, payload, views);
    if (!n) return 0;
    FUZZ_CHECK(*n >= 1 && *n <= views.size());
    std::vector<rx::JumboPart> parts;
    for (size_t i = 0; i < *n; ++i) {
        FUZZ_CHECK(!views[i].header.has(rx::flag::jumbo_packet));
        FUZZ_CHECK(views[i].header.seq == static_cast<uint32_t>(h->seq + i));
        if (i + 1 < *n) FUZZ_CHECK(views[i].data.size() == rx::jumbo_buffer_size);
        parts.push_back({views[i].header.flags, views[i].header.checksum, views[i].data});
    }
    std::vector<std::byte> rebuilt;
    FUZZ_CHECK(!rx::build_jumbogram(*h, parts, rebuilt));
    auto h2 = rx::decode_header(rebuilt);
    FUZZ_CHECK(h2.has_value());
    std::vector<std::byte> payload2(rebuilt.begin() + rx::header_size, rebuilt.end());
    std::array<rx::PacketView, rx::max_packets_per_datagram> views2{};
    auto n2 = rx::split_jumbogram(*h2, payload2, views2);
    FUZZ_CHECK(n2.has_value() && *n2 == *n);
    for (size_t i = 0; i < *n; ++i) {
        FUZZ_CHECK(views2[i].header == views[i].header);
        FUZZ_CHECK(views2[i].data.size() == views[i].data.size());
        FUZZ_CHECK(views[i].data.empty() ||
                   std::memcmp(views2[i].data.data(), views[i].data.data(), views[i].data.size()) == 0);
    }
    return 0;
}
