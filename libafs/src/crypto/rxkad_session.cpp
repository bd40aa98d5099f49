#include "rxkad_session.hpp"

#include <array>

#include "byte_order.hpp"

namespace afs::crypto::detail {

PreSeq derive_pre_seq(const SessionCipher& cipher, const rx::ConnectionIdentity& conn) {
    std::array<std::byte, 16> endpoint{};
    store_be32(endpoint.data(), conn.epoch);
    store_be32(endpoint.data() + 4, conn.cid & ~uint32_t(3));
    store_be32(endpoint.data() + 8, 0);  // the checksum slot of the endpoint structure
    store_be32(endpoint.data() + 12, conn.security_index);
    cipher.fcrypt.pcbc_encrypt(endpoint, cipher.iv);
    return {load_be32(endpoint.data() + 8), load_be32(endpoint.data() + 12)};
}

uint16_t header_checksum(const SessionCipher& cipher, const PreSeq& pre_seq, const rx::PacketIdentity& packet) {
    uint32_t left = packet.call_number ^ pre_seq.left;
    uint32_t right = (((packet.channel & 3u) << 30) | (packet.seq & 0x3fffffffu)) ^ pre_seq.right;
    cipher.fcrypt.encrypt(left, right);
    auto sum = static_cast<uint16_t>(right >> 16);
    return sum == 0 ? 1 : sum;
}

}  // namespace afs::crypto::detail
