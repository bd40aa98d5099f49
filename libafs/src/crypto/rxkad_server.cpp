#include "libafs/crypto/rxkad_server.hpp"

#include <limits>

#include "byte_order.hpp"
#include "libafs/crypto/lifetime.hpp"
#include "libafs/crypto/ticket.hpp"
#include "rxkad_connection.hpp"
#include "rxkad_handshake.hpp"

namespace afs::crypto {
namespace {

using detail::load_be32;

std::error_code rxkad_error(int32_t code) { return abort_error(code); }

}  // namespace

std::vector<std::byte> encode_challenge(const Challenge& challenge) {
    std::vector<std::byte> out;
    if (challenge.v2) detail::append_be32(out, detail::challenge_version);
    detail::append_be32(out, challenge.id);
    detail::append_be32(out, static_cast<uint32_t>(challenge.min_level));
    if (challenge.v2) detail::append_be32(out, 0);
    return out;
}

result<AuthenticatedClient> RxkadVerifier::verify(std::span<const std::byte> response,
                                                  const rx::ConnectionIdentity& conn, const Challenge& sent,
                                                  uint32_t now) const {
    // The server knows which form to expect from the challenge it sent.
    const size_t fixed = sent.v2 ? detail::v2_response_size : detail::old_response_size;
    if (response.size() < fixed) return fail(rxkad_error(abort_code::RXKADPACKETSHORT));
    const auto kvno = static_cast<int32_t>(load_be32(response.data() + fixed - 8));
    const uint32_t ticket_len = load_be32(response.data() + fixed - 4);
    // Like OpenAFS: a v2 response may carry bytes after its ticket, an old one may not.
    if (response.size() - fixed < ticket_len || (!sent.v2 && response.size() - fixed != ticket_len))
        return fail(rxkad_error(abort_code::RXKADPACKETSHORT));
    if (ticket_len < min_ticket_size || ticket_len > max_ticket_size)
        return fail(rxkad_error(abort_code::RXKADTICKETLEN));

    const ServerKey* key = keys_.find(kvno);
    if (!key || kvno == kvno_kerberos5 || kvno == kvno_kerberos5_enc_part)
        return fail(rxkad_error(abort_code::RXKADUNKNOWNKEY));
    auto ticket = decode_ticket(response.subspan(fixed, ticket_len), key->key);
    if (!ticket) return fail(rxkad_error(abort_code::RXKADBADTICKET));
    switch (check_ticket_time(ticket->start, ticket->end, now)) {
        case TicketTime::expired: return fail(rxkad_error(abort_code::RXKADEXPIRED));
        case TicketTime::invalid:
        case TicketTime::not_yet_valid: return fail(rxkad_error(abort_code::RXKADNOAUTH));
        case TicketTime::valid:
        case TicketTime::valid_forever: break;
    }

    AuthenticatedClient client;
    client.client = ticket->client;
    client.kvno = kvno;
    client.session_key = ticket->session_key;
    client.host = ticket->host;
    client.start = ticket->start;
    client.end = ticket->end;

    const detail::SessionCipher cipher(ticket->session_key);
    std::vector<std::byte> head(response.begin(), response.begin() + static_cast<ptrdiff_t>(fixed));
    uint32_t inc_challenge_id = 0;
    int32_t level = 0;
    if (sent.v2) {
        cipher.fcrypt.pcbc_decrypt(std::span(head).subspan(detail::v2_encrypted_offset, detail::v2_encrypted_size),
                                   cipher.iv);
        if (detail::response_checksum(head) != load_be32(head.data() + detail::v2_checksum_offset))
            return fail(rxkad_error(abort_code::RXKADSEALEDINCON));
        const std::byte* e = head.data() + detail::v2_encrypted_offset;
        if (load_be32(e) != conn.epoch || load_be32(e + 4) != (conn.cid & ~uint32_t(3)) ||
            load_be32(e + 12) != conn.security_index)
            return fail(rxkad_error(abort_code::RXKADSEALEDINCON));
        for (size_t i = 0; i < 4; ++i) {
            client.call_numbers[i] = load_be32(e + 16 + 4 * i);
            if (client.call_numbers[i] > uint32_t(std::numeric_limits<int32_t>::max()))
                return fail(rxkad_error(abort_code::RXKADSEALEDINCON));
        }
        inc_challenge_id = load_be32(e + 32);
        level = static_cast<int32_t>(load_be32(e + 36));
    } else {
        cipher.fcrypt.decrypt_block(std::span(head).first<8>());
        inc_challenge_id = load_be32(head.data());
        level = static_cast<int32_t>(load_be32(head.data() + 4));
    }
    if (inc_challenge_id != sent.id + 1) return fail(rxkad_error(abort_code::RXKADOUTOFSEQUENCE));
    if (level < static_cast<int32_t>(sent.min_level) || level > static_cast<int32_t>(Level::crypt))
        return fail(rxkad_error(abort_code::RXKADLEVELFAIL));
    client.level = static_cast<Level>(level);
    return client;
}

std::unique_ptr<rx::ConnectionSecurity> RxkadVerifier::connection(const AuthenticatedClient& client,
                                                                  const rx::ConnectionIdentity& conn) {
    auto cipher = std::make_shared<const detail::SessionCipher>(client.session_key);
    return std::make_unique<detail::RxkadConnection>(std::move(cipher), client.level, conn, std::nullopt);
}

}  // namespace afs::crypto
