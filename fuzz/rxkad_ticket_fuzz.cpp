// rxkad tickets: decode_ticket() of the input as it is (ciphertext), and of the input
// DES-PCBC encrypted with the server key first, so the plaintext parser sees the input's
// bytes. A ticket that decodes is made again with make_ticket() and must decode to the
// same contents.
#include <vector>

#include "libafs/crypto/des.hpp"
#include "libafs/crypto/ticket.hpp"
#include "rxkad_setup.hpp"

namespace crypto = afs::crypto;

namespace {

void check(std::span<const std::byte> ticket, const crypto::Key& key) {
    auto t = crypto::decode_ticket(ticket, key);
    if (!t) return;
    auto again = crypto::make_ticket(*t, key);
    if (!again) return;  // e.g. a time the lifetime code cannot say exactly
    auto t2 = crypto::decode_ticket(*again, key);
    FUZZ_CHECK(t2.has_value());
    FUZZ_CHECK(t2->client == t->client && t2->host == t->host && t2->session_key == t->session_key);
    FUZZ_CHECK(t2->start == t->start && t2->end == t->end);
    FUZZ_CHECK(t2->service == t->service && t2->service_instance == t->service_instance);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const auto& key = netcp_fuzz::rxkad_world().server_key;
    auto in = netcp_fuzz::bytes(data, size);
    check(in, key);
    std::vector<std::byte> plain(in.begin(), in.end());
    plain.resize((plain.size() + 7) / 8 * 8);
    if (crypto::des_pcbc_encrypt(plain, key, key)) return 0;
    check(plain, key);
    return 0;
}
