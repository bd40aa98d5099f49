// The server end of rxkad: RxkadVerifier::verify() of a RESPONSE body (v2 and old forms,
// the ticket inside, its length checks), with the challenge the input's first byte picks.
#include "rxkad_setup.hpp"

namespace crypto = afs::crypto;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    if (size < 1) return 0;
    const auto& w = netcp_fuzz::rxkad_world();
    static const crypto::RxkadVerifier verifier(w.keys);
    crypto::Challenge sent;
    sent.id = 0x11223344;
    sent.v2 = (data[0] & 1) == 0;
    sent.min_level = static_cast<crypto::Level>((data[0] >> 1) % 3);
    auto who = verifier.verify(netcp_fuzz::bytes(data + 1, size - 1), w.conn, sent, netcp_fuzz::rxkad_now);
    if (who) {
        FUZZ_CHECK(static_cast<int>(who->level) >= static_cast<int>(sent.min_level));
        (void)crypto::RxkadVerifier::connection(*who, w.conn);
    }
    return 0;
}
