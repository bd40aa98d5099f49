// rxkad-k5: derive_rxkad_key() and make_kerberos5_token() over what a KDC reply carries
// (through libkrb5): an enctype, a session key of any length, a ticket of any length.
// Input: enctype[4, big-endian] key_length[1] key[key_length] ticket[rest].
#include <algorithm>

#include "fuzz_common.hpp"
#include "libafs/crypto/kerberos5_token.hpp"
#include "libafs/crypto/ticket.hpp"

namespace crypto = afs::crypto;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    if (size < 5) return 0;
    const auto enctype = static_cast<int32_t>(uint32_t{data[0]} << 24 | uint32_t{data[1]} << 16 |
                                              uint32_t{data[2]} << 8 | uint32_t{data[3]});
    const size_t key_len = std::min<size_t>(data[4], size - 5);
    auto key = netcp_fuzz::bytes(data + 5, key_len);
    auto ticket = netcp_fuzz::bytes(data + 5 + key_len, size - 5 - key_len);

    auto k = crypto::derive_rxkad_key(enctype, key);
    if (k) {
        const bool des = enctype >= 1 && enctype <= 3;
        if (des) {
            FUZZ_CHECK(key.size() == 8);
            FUZZ_CHECK(std::equal(key.begin(), key.end(), k->bytes().begin()));
        } else {
            FUZZ_CHECK(crypto::has_odd_parity(*k));
            FUZZ_CHECK(!crypto::is_weak_des_key(*k));
            FUZZ_CHECK(key.size() >= 7);
        }
        auto again = crypto::derive_rxkad_key(enctype, key);
        FUZZ_CHECK(again && *again == *k);
    }

    crypto::Kerberos5Ticket t;
    t.client = crypto::Principal("alice", "", "EXAMPLE.ORG");
    t.enctype = enctype;
    t.session_key.assign(key.begin(), key.end());
    t.ticket.assign(ticket.begin(), ticket.end());
    t.start = 1;
    t.end = 2;
    auto token = crypto::make_kerberos5_token(t);
    FUZZ_CHECK(token.has_value() == (k.has_value() && ticket.size() >= crypto::min_ticket_size &&
                                     ticket.size() <= crypto::max_ticket_size));
    if (token) {
        FUZZ_CHECK(token->kvno() == crypto::kvno_kerberos5);
        FUZZ_CHECK(token->ticket().size() == ticket.size());
        FUZZ_CHECK(token->session_key() == *k);
    }
    return 0;
}
