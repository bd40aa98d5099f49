// rxkad challenge and response: the client's answers, and the server-side checks on them.
#include <doctest/doctest.h>

#include "byte_order_for_tests.hpp"
#include "libafs/crypto/fcrypt.hpp"
#include "libafs/crypto/ticket.hpp"
#include "rxkad_test_support.hpp"
#include "test_bytes.hpp"
#include "test_util.hpp"

using namespace afs::crypto;
using namespace std::chrono_literals;
namespace ac = afs::abort_code;
using cryptotest::get_be32;
using cryptotest::hex;
using cryptotest::put_be32;
using cryptotest::test_cell_keys;
using cryptotest::test_conn;
using cryptotest::test_now;

namespace {

bool is_abort(const std::error_code& ec, int32_t code) { return ec == afs::abort_error(code); }

Token bob(std::chrono::seconds life = 10h, uint32_t now = test_now) {
    return *mint_token(test_cell_keys(), Principal{"bob", "", "test.afs"}, life, now);
}

const Challenge v2_challenge{0x01020304, Level::clear, true};

std::vector<std::byte> respond(Level level, const Challenge& c = v2_challenge, const Token& t = bob(),
                               std::array<uint32_t, 4> calls = {3, 0, 7, 0}) {
    RxkadClient client(t, level);
    auto r = client.new_connection(test_conn())->respond(encode_challenge(c), calls);
    REQUIRE(r);
    return *r;
}

}  // namespace

TEST_CASE("challenge bodies") {
    CHECK(cryptotest::to_hex(encode_challenge({0xaabbccdd, Level::auth, true})) == "00000002aabbccdd0000000100000000");
    CHECK(cryptotest::to_hex(encode_challenge({0xaabbccdd, Level::crypt, false})) == "aabbccdd00000002");
}

TEST_CASE("a v2 response, opened by hand: layout, encryption and checksum as documented") {
    Token t = bob();
    auto r = respond(Level::auth, v2_challenge, t);
    REQUIRE(r.size() == 56 + t.ticket().size());
    CHECK(get_be32(r.data()) == 2);
    CHECK(get_be32(r.data() + 4) == 0);
    CHECK(get_be32(r.data() + 48) == 4);  // kvno: the latest key
    CHECK(get_be32(r.data() + 52) == t.ticket().size());
    CHECK(std::equal(r.begin() + 56, r.end(), t.ticket().begin(), t.ticket().end()));

    Fcrypt(t.session_key()).pcbc_decrypt(std::span(r).subspan(8, 40), t.session_key());
    auto conn = test_conn();
    CHECK(get_be32(r.data() + 8) == conn.epoch);
    CHECK(get_be32(r.data() + 12) == (conn.cid & ~3u));
    CHECK(get_be32(r.data() + 20) == 2);
    CHECK(get_be32(r.data() + 24) == 3);
    CHECK(get_be32(r.data() + 32) == 7);
    CHECK(get_be32(r.data() + 40) == 0x01020305);
    CHECK(get_be32(r.data() + 44) == 1);
    // The checksum: c = 1000003; c = byte + c * 0x10204081 over the 56 plaintext bytes,
    // with the checksum field itself taken as zero.
    uint32_t stored = get_be32(r.data() + 16);
    put_be32(r.data() + 16, 0);
    uint32_t c = 1000003;
    for (size_t i = 0; i < 56; ++i) c = std::to_integer<uint8_t>(r[i]) + c * 0x10204081u;
    CHECK(stored == c);
}

TEST_CASE("responses verify at every level and give the connection the client's level") {
    RxkadVerifier verifier(test_cell_keys());
    for (Level level : {Level::clear, Level::auth, Level::crypt}) {
        for (bool v2 : {true, false}) {
            Challenge c{0x7777, Level::clear, v2};
            auto who = verifier.verify(respond(level, c), test_conn(), c, test_now + 60);
            REQUIRE(who);
            CHECK(who->level == level);
            CHECK(who->client == (Principal{"bob", "", "test.afs"}));
            CHECK(who->kvno == 4);
            CHECK(who->end == test_now + 36000);
            if (v2) CHECK(who->call_numbers == std::array<uint32_t, 4>{3, 0, 7, 0});
        }
    }
}

TEST_CASE("the endpoint in the response uses the connection's security index (3 = crypt-only service)") {
    RxkadClient client(bob(), Level::crypt, security_index_rxkad_crypt_only);
    CHECK(client.index() == 3);
    auto id = test_conn(0x2a5e1c04, 3);
    auto r = client.new_connection(id)->respond(encode_challenge(v2_challenge), {});
    REQUIRE(r);
    RxkadVerifier verifier(test_cell_keys());
    CHECK(verifier.verify(*r, id, v2_challenge, test_now));
    CHECK(is_abort(verifier.verify(*r, test_conn(), v2_challenge, test_now).error(), ac::RXKADSEALEDINCON));
}

TEST_CASE("hostile and unanswerable challenges") {
    RxkadClient client(bob(), Level::auth);
    auto conn = client.new_connection(test_conn());
    auto answer = [&](std::string_view h) { return conn->respond(hex(h), {}); };
    CHECK(is_abort(answer("").error(), ac::RXKADPACKETSHORT));
    CHECK(is_abort(answer("000000").error(), ac::RXKADPACKETSHORT));
    CHECK(is_abort(answer("00000001 000000").error(), ac::RXKADPACKETSHORT));
    CHECK(is_abort(answer("00000002 00000001 00").error(), ac::RXKADPACKETSHORT));             // 9: v2, short
    CHECK(is_abort(answer("00000002 00000001 00000000 000000").error(), ac::RXKADPACKETSHORT));  // 15
    CHECK(answer("00000002 00000001 00000000 00000000"));
    CHECK(answer("00000002 00000001 00000000 00000000 ffffffff"));  // longer v2: extra ignored
    CHECK(answer("00000009 00000001 00000001 00000000"));           // version not checked
    CHECK(is_abort(answer("00000002 00000001 00000002 00000000").error(), ac::RXKADLEVELFAIL));
    CHECK(is_abort(answer("00000001 00000002").error(), ac::RXKADLEVELFAIL));
    CHECK(is_abort(answer("00000002 00000001 00000003 00000000").error(), ac::RXKADILLEGALLEVEL));
    CHECK(is_abort(answer("00000002 00000001 ffffffff 00000000").error(), ac::RXKADILLEGALLEVEL));
    CHECK(is_abort(conn->respond(encode_challenge(v2_challenge), {0x80000000u, 0, 0, 0}).error(),
                   ac::RXKADINCONSISTENCY));
    for (uint64_t seed = 1; seed <= 200; ++seed) (void)conn->respond(testutil::random_bytes(seed % 24, seed), {});
}

TEST_CASE("the server end does not answer challenges") {
    cryptotest::RxkadPair pair(Level::crypt);
    CHECK(pair.server->respond(encode_challenge(v2_challenge), {}) == afs::fail(afs::errc::security_mismatch));
}

TEST_CASE("verifier: truncated, lying and oversized responses") {
    RxkadVerifier verifier(test_cell_keys());
    auto good = respond(Level::crypt);
    for (size_t keep = 0; keep < good.size(); ++keep) {
        auto r = verifier.verify(std::span(good).first(keep), test_conn(), v2_challenge, test_now);
        CHECK(is_abort(r.error(), ac::RXKADPACKETSHORT));
    }
    auto lying = good;
    put_be32(lying.data() + 52, 0xffffffff);  // ticket length far beyond the packet
    CHECK(is_abort(verifier.verify(lying, test_conn(), v2_challenge, test_now).error(), ac::RXKADPACKETSHORT));
    auto small = good;
    put_be32(small.data() + 52, 16);  // a ticket under 32 bytes
    small.resize(56 + 16);
    CHECK(is_abort(verifier.verify(small, test_conn(), v2_challenge, test_now).error(), ac::RXKADTICKETLEN));
    std::vector<std::byte> huge(56 + max_ticket_size + 8);
    std::copy(good.begin(), good.begin() + 56, huge.begin());
    put_be32(huge.data() + 52, max_ticket_size + 8);
    CHECK(is_abort(verifier.verify(huge, test_conn(), v2_challenge, test_now).error(), ac::RXKADTICKETLEN));
    // An old response must be exactly its ticket long; a v2 one may carry a tail.
    Challenge old{9, Level::clear, false};
    auto r_old = respond(Level::auth, old);
    r_old.push_back(std::byte{0});
    CHECK(is_abort(verifier.verify(r_old, test_conn(), old, test_now).error(), ac::RXKADPACKETSHORT));
    auto tail = good;
    tail.push_back(std::byte{0});
    CHECK(verifier.verify(tail, test_conn(), v2_challenge, test_now));
    for (uint64_t seed = 1; seed <= 300; ++seed) {
        auto junk = testutil::random_bytes(seed * 3 % 200, seed);
        CHECK(!verifier.verify(junk, test_conn(), v2_challenge, test_now));
    }
}

TEST_CASE("verifier: keys and tickets") {
    RxkadVerifier verifier(test_cell_keys());
    auto good = respond(Level::crypt);
    auto unknown = good;
    put_be32(unknown.data() + 48, 9);
    CHECK(is_abort(verifier.verify(unknown, test_conn(), v2_challenge, test_now).error(), ac::RXKADUNKNOWNKEY));
    auto k5 = good;
    put_be32(k5.data() + 48, 256);
    CHECK(is_abort(verifier.verify(k5, test_conn(), v2_challenge, test_now).error(), ac::RXKADUNKNOWNKEY));
    auto wrong_key = good;
    put_be32(wrong_key.data() + 48, 3);  // a key that exists but did not encrypt this ticket
    CHECK(is_abort(verifier.verify(wrong_key, test_conn(), v2_challenge, test_now).error(), ac::RXKADBADTICKET));
    for (size_t i = 56; i < good.size(); i += 7) {
        auto t = good;
        t[i] ^= std::byte{0x10};
        auto r = verifier.verify(t, test_conn(), v2_challenge, test_now);
        REQUIRE(!r);  // a changed ticket is either undecodable or names another session key
        CHECK((is_abort(r.error(), ac::RXKADBADTICKET) || is_abort(r.error(), ac::RXKADSEALEDINCON) ||
               is_abort(r.error(), ac::RXKADNOAUTH) || is_abort(r.error(), ac::RXKADEXPIRED)));
    }
}

TEST_CASE("verifier: ticket times") {
    RxkadVerifier verifier(test_cell_keys());
    auto r = respond(Level::clear, v2_challenge, bob(1h, test_now));
    CHECK(verifier.verify(r, test_conn(), v2_challenge, test_now + 3600 + 899));
    CHECK(is_abort(verifier.verify(r, test_conn(), v2_challenge, test_now + 3600 + 901).error(), ac::RXKADEXPIRED));
    CHECK(is_abort(verifier.verify(r, test_conn(), v2_challenge, test_now - 901).error(), ac::RXKADNOAUTH));
    auto forever = respond(Level::clear, v2_challenge, *mint_localauth_token(test_cell_keys()));
    auto who = verifier.verify(forever, test_conn(), v2_challenge, 0xFFFFFF00u);
    REQUIRE(who);
    CHECK(who->client.name == "afs");
}

TEST_CASE("verifier: checksum, endpoint, challenge id and level") {
    RxkadVerifier verifier(test_cell_keys());
    auto good = respond(Level::auth);
    REQUIRE(verifier.verify(good, test_conn(), v2_challenge, test_now));
    for (size_t i = 8; i < 48; ++i) {  // any change to the encrypted part
        auto t = good;
        t[i] ^= std::byte{0x01};
        CHECK(is_abort(verifier.verify(t, test_conn(), v2_challenge, test_now).error(), ac::RXKADSEALEDINCON));
    }
    for (size_t i : {0u, 3u, 4u, 7u}) {  // version and spare travel in clear but the checksum covers them
        auto t = good;
        t[i] ^= std::byte{0x01};
        CHECK(is_abort(verifier.verify(t, test_conn(), v2_challenge, test_now).error(), ac::RXKADSEALEDINCON));
    }
    auto other_epoch = test_conn();
    other_epoch.epoch ^= 1;
    CHECK(is_abort(verifier.verify(good, other_epoch, v2_challenge, test_now).error(), ac::RXKADSEALEDINCON));
    CHECK(is_abort(verifier.verify(good, test_conn(0x2a5e1c08), v2_challenge, test_now).error(), ac::RXKADSEALEDINCON));
    CHECK(verifier.verify(good, test_conn(0x2a5e1c07), v2_challenge, test_now));  // channel bits do not matter
    Challenge later{v2_challenge.id + 1, Level::clear, true};
    CHECK(is_abort(verifier.verify(good, test_conn(), later, test_now).error(), ac::RXKADOUTOFSEQUENCE));
    Challenge demanding{v2_challenge.id, Level::crypt, true};
    CHECK(is_abort(verifier.verify(good, test_conn(), demanding, test_now).error(), ac::RXKADLEVELFAIL));
    // An old-style answer where a v2 one was expected does not pass.
    Challenge old{v2_challenge.id, Level::clear, false};
    auto old_answer = respond(Level::auth, old);
    CHECK(!verifier.verify(old_answer, test_conn(), v2_challenge, test_now));
    auto old_bad = old_answer;
    old_bad[3] ^= std::byte{1};
    CHECK(!verifier.verify(old_bad, test_conn(), old, test_now));
    CHECK(verifier.verify(old_answer, test_conn(), old, test_now));
}

TEST_CASE("describe names the level, the principal and the key version") {
    CHECK(RxkadClient(bob(), Level::crypt).describe() == "rxkad crypt as bob@test.afs (kvno 4)");
    CHECK(RxkadClient(bob(), Level::clear).describe() == "rxkad clear as bob@test.afs (kvno 4)");
    auto anonymous = *Token::make({}, *Key::from_hex("0123456789abcdef"), 7, std::vector<std::byte>(40), 0, 1);
    CHECK(RxkadClient(anonymous, Level::auth).describe() == "rxkad auth as unknown principal (kvno 7)");
    CHECK(RxkadClient(bob(), Level::auth).index() == afs::rx::security_index_rxkad);
}

TEST_CASE("one client class serves many connections, each with its own binding") {
    auto cls = std::make_shared<RxkadClient>(bob(), Level::crypt);
    std::shared_ptr<afs::rx::SecurityClass> as_base = cls;
    auto a = as_base->new_connection(test_conn(0x100));
    auto b = as_base->new_connection(test_conn(0x104));
    std::vector<std::byte> x(24), y(24);
    uint16_t ca = 0, cb = 0;
    REQUIRE(a->seal({1, 1, 0}, x, 8, ca));
    REQUIRE(b->seal({1, 1, 0}, y, 8, cb));
    CHECK(x == y);     // the payload encryption depends only on the session key and packet
    CHECK(ca != cb);   // the checksum binds the connection
}
