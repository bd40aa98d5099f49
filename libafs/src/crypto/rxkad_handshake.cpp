#include "rxkad_handshake.hpp"

#include <limits>

#include "byte_order.hpp"

namespace afs::crypto::detail {

result<ParsedChallenge> parse_challenge(std::span<const std::byte> body) {
    ParsedChallenge c;
    // How OpenAFS tells the two forms apart: by length alone. The version field of a v2
    // challenge is not checked, so that a future version stays answerable.
    c.v2 = body.size() > old_challenge_size;
    if (body.size() < (c.v2 ? v2_challenge_size : old_challenge_size))
        return fail(abort_error(abort_code::RXKADPACKETSHORT));
    const std::byte* p = body.data() + (c.v2 ? 4 : 0);
    c.id = load_be32(p);
    c.level = static_cast<int32_t>(load_be32(p + 4));
    return c;
}

uint32_t response_checksum(std::span<const std::byte> fixed_part) {
    uint32_t c = 1000003;
    for (size_t i = 0; i < fixed_part.size(); ++i) {
        bool in_checksum_field = i >= v2_checksum_offset && i < v2_checksum_offset + 4;
        uint32_t b = in_checksum_field ? 0 : std::to_integer<uint8_t>(fixed_part[i]);
        c = b + c * 0x10204081u;
    }
    return c;
}

result<std::vector<std::byte>> build_response(const ParsedChallenge& challenge, const ResponseInput& in) {
    for (uint32_t n : in.call_numbers)
        if (n > uint32_t(std::numeric_limits<int32_t>::max())) return fail(abort_error(abort_code::RXKADINCONSISTENCY));
    const size_t fixed = challenge.v2 ? v2_response_size : old_response_size;
    if (in.ticket.size() > max_packet_data - fixed) return fail(abort_error(abort_code::RXKADPACKETSHORT));

    std::vector<std::byte> out;
    out.reserve(fixed + in.ticket.size());
    if (challenge.v2) {
        append_be32(out, challenge_version);
        append_be32(out, 0);  // spare
        append_be32(out, in.conn.epoch);
        append_be32(out, in.conn.cid & ~uint32_t(3));
        append_be32(out, 0);  // checksum, filled in below
        append_be32(out, in.conn.security_index);
        for (uint32_t n : in.call_numbers) append_be32(out, n);
        append_be32(out, challenge.id + 1);
        append_be32(out, static_cast<uint32_t>(in.level));
        append_be32(out, static_cast<uint32_t>(in.kvno));
        append_be32(out, static_cast<uint32_t>(in.ticket.size()));
        store_be32(out.data() + v2_checksum_offset, response_checksum(out));
        in.cipher.fcrypt.pcbc_encrypt(std::span(out).subspan(v2_encrypted_offset, v2_encrypted_size), in.cipher.iv);
    } else {
        append_be32(out, challenge.id + 1);
        append_be32(out, static_cast<uint32_t>(in.level));
        in.cipher.fcrypt.encrypt_block(std::span(out).first<8>());
        append_be32(out, static_cast<uint32_t>(in.kvno));
        append_be32(out, static_cast<uint32_t>(in.ticket.size()));
    }
    out.insert(out.end(), in.ticket.begin(), in.ticket.end());
    return out;
}

}  // namespace afs::crypto::detail
