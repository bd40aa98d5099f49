// A fixed rxkad world for the rxkad harnesses: a server key and KeyFile, a token for
// bob@test.afs minted from it, and a client connection at each level.
#pragma once

#include <array>
#include <memory>

#include "fuzz_common.hpp"
#include "libafs/crypto/keyfile.hpp"
#include "libafs/crypto/rxkad.hpp"
#include "libafs/crypto/rxkad_server.hpp"
#include "libafs/crypto/token.hpp"

namespace netcp_fuzz {

inline constexpr uint32_t rxkad_now = 1'700'000'100;
inline constexpr int32_t rxkad_kvno = 5;

struct RxkadWorld {
    afs::crypto::Key server_key = *afs::crypto::Key::from_hex("b6f1c28a5d4f0b3d");
    afs::crypto::KeyFile keys = *afs::crypto::KeyFile::from_keys({{rxkad_kvno, server_key}});
    afs::crypto::Token token = make_token();
    afs::rx::ConnectionIdentity conn{0x5a5a0001, 0x10000000, 1, afs::rx::security_index_rxkad, true};
    std::array<std::unique_ptr<afs::crypto::RxkadClient>, 3> clients;

    RxkadWorld() {
        for (int l = 0; l < 3; ++l)
            clients[l] = std::make_unique<afs::crypto::RxkadClient>(token, static_cast<afs::crypto::Level>(l));
    }

    afs::crypto::Token make_token() const {
        afs::crypto::MintRequest req;
        req.who = afs::crypto::Principal("bob", "", "test.afs");
        req.start = rxkad_now - 100;
        req.end = rxkad_now + 36000;
        auto t = afs::crypto::mint_token(keys, req);
        FUZZ_CHECK(t.has_value());
        return *t;
    }
};

inline const RxkadWorld& rxkad_world() {
    static const RxkadWorld w;
    return w;
}

}  // namespace netcp_fuzz
