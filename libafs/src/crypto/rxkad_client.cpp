#include "libafs/crypto/rxkad.hpp"

#include "rxkad_connection.hpp"

namespace afs::crypto {

const char* to_string(Level level) {
    switch (level) {
        case Level::clear: return "clear";
        case Level::auth: return "auth";
        case Level::crypt: return "crypt";
    }
    return "unknown";
}

RxkadClient::RxkadClient(Token token, Level level, uint8_t security_index)
    : token_(std::move(token)),
      level_(level),
      index_(security_index),
      cipher_(std::make_shared<const detail::SessionCipher>(token_.session_key())) {}

RxkadClient::~RxkadClient() = default;

std::string RxkadClient::describe() const {
    return std::string("rxkad ") + to_string(level_) + " as " + token_.describe();
}

std::unique_ptr<rx::ConnectionSecurity> RxkadClient::new_connection(const rx::ConnectionIdentity& id) {
    return std::make_unique<detail::RxkadConnection>(cipher_, level_, id, token_);
}

}  // namespace afs::crypto
