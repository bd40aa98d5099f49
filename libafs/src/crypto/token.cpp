#include "libafs/crypto/token.hpp"

#include "libafs/crypto/ticket.hpp"

namespace afs::crypto {

result<Token> Token::make(Principal who, const Key& session_key, int32_t kvno, std::vector<std::byte> ticket,
                          uint32_t start, uint32_t end) {
    if (ticket.empty() || ticket.size() > max_ticket_size) return fail(errc::bad_ticket);
    auto s = std::make_shared<State>();
    s->who = std::move(who);
    s->session_key = session_key;
    s->kvno = kvno;
    s->ticket = std::move(ticket);
    s->start = start;
    s->end = end;
    return Token(std::move(s));
}

std::string Token::describe() const {
    std::string s = state_->who.name.empty() ? "unknown principal" : state_->who.to_string();
    if (state_->kvno == kvno_kerberos5) return s + " (Kerberos 5)";
    return s + " (kvno " + std::to_string(state_->kvno) + ")";
}

result<Token> mint_token(const KeyFile& keys, const MintRequest& request) {
    const ServerKey* key = request.kvno ? keys.find(*request.kvno) : keys.latest();
    if (!key) return fail(errc::no_key);
    // A key without DES odd parity, or weak, is one no OpenAFS server can use either.
    if (!has_odd_parity(key->key) || is_weak_des_key(key->key)) return fail(errc::no_key);
    if (key->kvno == kvno_kerberos5 || key->kvno == kvno_kerberos5_enc_part) return fail(errc::bad_value);
    if (validate(request.who)) return fail(errc::bad_value);
    auto life = encode_lifetime(request.start, request.end);
    if (!life) return fail(errc::bad_value);

    auto session_key = random_session_key();
    if (!session_key) return fail(session_key.error());

    TicketContents contents;
    contents.client = request.who;
    contents.host = request.host;
    contents.session_key = *session_key;
    contents.start = request.start;
    contents.end = request.end;
    auto ticket = make_ticket(contents, key->key);
    if (!ticket) return fail(ticket.error());
    return Token::make(request.who, *session_key, key->kvno, std::move(*ticket), request.start,
                       decode_lifetime(request.start, *life));
}

result<Token> mint_token(const KeyFile& keys, const Principal& who, std::chrono::seconds lifetime, uint32_t now) {
    if (lifetime.count() <= 0 || lifetime.count() > max_ticket_lifetime) return fail(errc::bad_value);
    MintRequest request;
    request.who = who;
    request.start = now;
    request.end = now + static_cast<uint32_t>(lifetime.count());
    return mint_token(keys, request);
}

result<Token> mint_localauth_token(const KeyFile& keys) {
    MintRequest request;
    request.who = Principal{"afs", "", ""};
    request.start = 0;
    request.end = never_expires;
    return mint_token(keys, request);
}

}  // namespace afs::crypto
