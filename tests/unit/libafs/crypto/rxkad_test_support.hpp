// A client and a server end of one rxkad connection, authenticated through the real
// challenge/response exchange, for the rxkad tests.
#pragma once

#include <doctest/doctest.h>

#include <memory>

#include "libafs/crypto/rxkad.hpp"
#include "libafs/crypto/rxkad_server.hpp"
#include "libafs/crypto/token.hpp"

namespace cryptotest {

inline constexpr uint32_t test_now = 1'700'000'000;

inline afs::crypto::KeyFile test_cell_keys() {
    using afs::crypto::Key;
    return *afs::crypto::KeyFile::from_keys({{3, *Key::from_hex("0123456789abcdef")}, {4, *Key::from_hex("b6f1c28a5d4f0b3d")}});
}

inline afs::rx::ConnectionIdentity test_conn(uint32_t cid = 0x2a5e1c04, uint8_t security_index = 2) {
    afs::rx::ConnectionIdentity id;
    id.epoch = 0x9b3c4d5e;
    id.cid = cid;
    id.service_id = 1;
    id.security_index = security_index;
    return id;
}

struct RxkadPair {
    explicit RxkadPair(afs::crypto::Level level, uint32_t cid = 0x2a5e1c04) {
        using namespace std::chrono_literals;
        token = *afs::crypto::mint_token(test_cell_keys(), afs::crypto::Principal{"bob", "", "test.afs"}, 10h, test_now);
        client_class = std::make_shared<afs::crypto::RxkadClient>(*token, level);
        auto id = test_conn(cid);
        client = client_class->new_connection(id);
        afs::crypto::RxkadVerifier verifier(test_cell_keys());
        afs::crypto::Challenge challenge{0x5150aa01, afs::crypto::Level::clear, true};
        auto response = client->respond(afs::crypto::encode_challenge(challenge), {1, 0, 0, 0});
        REQUIRE(response);
        auto who = verifier.verify(*response, id, challenge, test_now + 5);
        REQUIRE(who);
        REQUIRE(who->level == level);
        server = afs::crypto::RxkadVerifier::connection(*who, id);
    }
    std::optional<afs::crypto::Token> token;
    std::shared_ptr<afs::crypto::RxkadClient> client_class;
    std::unique_ptr<afs::rx::ConnectionSecurity> client;
    std::unique_ptr<afs::rx::ConnectionSecurity> server;
};

}  // namespace cryptotest
