// rxkad-k5 key derivation and tokens. The known answers were computed by OpenAFS 1.8.9's own
// tkt_DeriveDesKey (Debian libopenafs-dev's librxkad, driven by a throwaway program); the
// key inputs are prefixes of SHA-512("netcp-ENCTYPE-LENGTH"). The integration tests compare
// against the same function on random keys and against a real fileserver.
#include <doctest/doctest.h>

#include "libafs/crypto/kerberos5_token.hpp"
#include "test_bytes.hpp"

using namespace afs::crypto;
using cryptotest::hex;
using cryptotest::to_hex;

namespace {

struct Vector {
    int32_t enctype;
    const char* key;
    const char* derived;  // nullptr: OpenAFS refuses it
};

const Vector openafs_vectors[] = {
    {1, "f4255627f7bc9ed0", "f4255627f7bc9ed0"},
    {2, "1e086773baec8a3a", "1e086773baec8a3a"},
    {3, "9248b41e8eb432a0", "9248b41e8eb432a0"},
    {5, "7240c21340f777ebfd1d9f9e6c32d5bcc445ed41b593b0fa", "c4988c463b13b046"},
    {7, "5588bf85e61b833452a3cae1e9d8bcbbdd7690970b6c4356", "7f455e62a1d04610"},
    {16, "c1aaeaec35c00d1c5abbc397835760a41793b0c9c9f3430e", "8cc1cb5843f15efd"},
    {17, "7e8cc92423c79c4cb67b963c3041aed1", "cbf1b9cd94e561a8"},
    {18, "3074505bda58eecaed9240b767f77361a45cb251c90360f43ab1d5517643a2fa", "e30db3981315e62c"},
    {19, "97eedc42ad12f6c7f8d572127ee2fb21", "57b9049eab73fe3e"},
    {20, "afa719a1877c140fba02aa928e4058e23d9ac2cc47c907582525028013eb9483", "aba7c8f4102cb34c"},
    {23, "ad7f80f8a422fa3d5442f49ce6789af3", "19b6dfd919525d54"},
    {24, "e9ac913d76f495f8ad355a19455284b4", "e3150be6da5bae85"},
    {25, "11dca210cfc4d0a6e5c1c9b6271f7275", "4cc168675d044cda"},
    {26, "e6444f27d69f50681c7bbd9d22cf1d91a586442fda992eccfa89fc950779ce70", "6185bf6b51a13e5b"},
    // Longer than any real triple-DES key: every block is squeezed.
    {16, "9b1e895ad5b9f63c41908cf9d298f642303bb67892e7014fbba9ab737db6ef4ab9c90c92c4587bab35e1d333e5806b09",
     "4f0d61cd34371931"},
    {18, "c95a0d5f8139fe", "c2028aea078575f4"},   // 7 bytes: the shortest accepted
    {30, "8dec976cefe1cf3c63307a24967d512b", "07c14abacebc7fda"},  // an enctype unknown to both: derived
    {0, "539a23348a11070c8daf542d32ef1eed", nullptr},
    {4, "3fae33db79dc15aae7007fa7badd0939", nullptr},
    {6, "1c9ad6c29a110b0e5f148a9ae8c866bc", nullptr},
    {9, "fd88c8ccad51ff406ece5e2654fa9553", nullptr},
    {15, "328687d3b2f6401efe13c001ba9095d9", nullptr},
    {-1, "fbea0851c2fc5f9f38a1c779bcade541", nullptr},
    {-128, "a786e4891722a33b8cd60c01ec3e0b3f", nullptr},
    {1, "b01ec7b71b76df", nullptr},                                       // DES, not 8 bytes
    {16, "5a5f076b2247e7aa4811501ee6e668daa8b98f5e449919", nullptr},      // 3DES, not a multiple of 8
    {17, "103dbb1625ac", nullptr},                                         // under 7 bytes
};

}  // namespace

TEST_CASE("derive_rxkad_key gives what OpenAFS's tkt_DeriveDesKey gives, and refuses what it refuses") {
    for (const auto& v : openafs_vectors) {
        CAPTURE(v.enctype);
        CAPTURE(v.key);
        auto k = derive_rxkad_key(v.enctype, hex(v.key));
        if (v.derived) {
            REQUIRE(k);
            CHECK(to_hex(k->bytes()) == v.derived);
        } else {
            CHECK_FALSE(k);
        }
    }
}

TEST_CASE("derived keys have odd parity and are never weak") {
    for (int32_t type : {17, 18, 19, 20, 23, 25, 26, 16}) {
        for (int n = 0; n < 200; ++n) {
            std::vector<std::byte> key(type == 16 ? 24 : 32);
            for (size_t i = 0; i < key.size(); ++i) key[i] = std::byte(static_cast<unsigned char>(n * 31 + i * 7 + type));
            auto k = derive_rxkad_key(type, key);
            REQUIRE(k);
            CHECK(has_odd_parity(*k));
            CHECK_FALSE(is_weak_des_key(*k));
        }
    }
}

TEST_CASE("make_kerberos5_token: kvno 256, the whole ticket, the derived key, the ticket's times") {
    Kerberos5Ticket t;
    t.client = Principal{"alice", "", "TEST.AFS"};
    t.enctype = enctype::aes256_cts_hmac_sha1_96;
    t.session_key = hex("3074505bda58eecaed9240b767f77361a45cb251c90360f43ab1d5517643a2fa");
    t.ticket.assign(300, std::byte{0x61});
    t.start = 1'800'000'000;
    t.end = 1'800'036'000;
    auto token = make_kerberos5_token(t);
    REQUIRE(token);
    CHECK(token->kvno() == kvno_kerberos5);
    CHECK(to_hex(token->session_key().bytes()) == "e30db3981315e62c");
    CHECK(token->ticket().size() == 300);
    CHECK(token->start() == t.start);
    CHECK(token->end() == t.end);
    CHECK(token->describe() == "alice@TEST.AFS (Kerberos 5)");
    CHECK(token->expired(t.end));
    CHECK_FALSE(token->expired(t.end - 1));

    SUBCASE("a refused enctype or a ticket no server takes is an error") {
        t.enctype = 4;
        CHECK(make_kerberos5_token(t).error() == afs::errc::bad_value);
        t.enctype = enctype::aes256_cts_hmac_sha1_96;
        t.ticket.assign(12001, std::byte{1});
        CHECK(make_kerberos5_token(t).error() == afs::errc::bad_ticket);
        t.ticket.assign(8, std::byte{1});
        CHECK(make_kerberos5_token(t).error() == afs::errc::bad_ticket);
        t.ticket.clear();
        CHECK(make_kerberos5_token(t).error() == afs::errc::bad_ticket);
    }
}
