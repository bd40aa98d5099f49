#include "libafs/rx/ack.hpp"

#include <algorithm>
#include <cstring>

#include "byte_order.hpp"
#include "libafs/rx/packet.hpp"

namespace afs::rx {

using detail::load_be16;
using detail::load_be32;
using detail::store_be16;
using detail::store_be32;

result<size_t> encode_ack(const Ack& ack, std::span<std::byte> out) {
    if (ack.acks.size() > max_acks || ack.trailer.words > 4) return fail(errc::too_large);
    const size_t size = ack_body_size(ack.acks.size(), ack.trailer.words);
    if (out.size() < size) return fail(errc::too_large);
    std::byte* p = out.data();
    store_be16(p + 0, ack.buffer_space);
    store_be16(p + 2, ack.max_skew);
    store_be32(p + 4, ack.first_packet);
    store_be32(p + 8, ack.previous_packet);
    store_be32(p + 12, ack.serial);
    p[16] = std::byte(ack.reason);
    p[17] = std::byte(static_cast<uint8_t>(ack.acks.size()));
    if (!ack.acks.empty()) std::memcpy(p + ack_fixed_size, ack.acks.data(), ack.acks.size());
    if (ack.trailer.words) {
        std::byte* t = p + ack_fixed_size + ack.acks.size();
        std::memset(t, 0, ack_trailer_pad);
        t += ack_trailer_pad;
        const uint32_t words[4] = {ack.trailer.max_mtu, ack.trailer.if_mtu, ack.trailer.rwind, ack.trailer.jumbo_max};
        for (size_t i = 0; i < ack.trailer.words; ++i) store_be32(t + 4 * i, words[i]);
    }
    return size;
}

result<Ack> decode_ack(std::span<const std::byte> body) {
    if (body.size() < ack_fixed_size) return fail(errc::truncated);
    const std::byte* p = body.data();
    Ack ack;
    ack.buffer_space = load_be16(p + 0);
    ack.max_skew = load_be16(p + 2);
    ack.first_packet = load_be32(p + 4);
    ack.previous_packet = load_be32(p + 8);
    ack.serial = load_be32(p + 12);
    ack.reason = std::to_integer<uint8_t>(p[16]);
    const size_t n = std::to_integer<uint8_t>(p[17]);
    if (body.size() < ack_fixed_size + n) return fail(errc::truncated);
    ack.acks = body.subspan(ack_fixed_size, n);
    // The trailer follows three pad bytes; older peers stop early, so take whole words only.
    const size_t rest = body.size() - ack_fixed_size - n;
    if (rest >= ack_trailer_pad + 4) {
        const std::byte* t = p + ack_fixed_size + n + ack_trailer_pad;
        const size_t words = std::min<size_t>(4, (rest - ack_trailer_pad) / 4);
        uint32_t w[4] = {};
        for (size_t i = 0; i < words; ++i) w[i] = load_be32(t + 4 * i);
        ack.trailer = AckTrailer{w[0], w[1], w[2], w[3], static_cast<uint8_t>(words)};
    }
    return ack;
}

}  // namespace afs::rx
