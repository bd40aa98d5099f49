// Tokens: minting from a KeyFile, sharing, expiry.
#include <doctest/doctest.h>

#include "libafs/crypto/ticket.hpp"
#include "libafs/crypto/token.hpp"
#include "test_bytes.hpp"

using namespace afs::crypto;
using namespace std::chrono_literals;

namespace {

KeyFile cell_keys() {
    return *KeyFile::from_keys({{3, *Key::from_hex("0123456789abcdef")}, {5, *Key::from_hex("b6f1c28a5d4f0b3d")}});
}

}  // namespace

TEST_CASE("a minted token's ticket decodes with the latest server key and names the user") {
    const uint32_t now = 1'700'000'000;
    auto keys = cell_keys();
    auto token = mint_token(keys, Principal{"bob", "", "test.afs"}, 10h, now);
    REQUIRE(token);
    CHECK(token->kvno() == 5);
    CHECK(token->start() == now);
    CHECK(token->end() == now + 36000);  // 10 hours = 120 units of 5 minutes, exact
    CHECK(has_odd_parity(token->session_key()));
    CHECK(token->describe() == "bob@test.afs (kvno 5)");

    auto t = decode_ticket(token->ticket(), keys.find(5)->key);
    REQUIRE(t);
    CHECK(t->client == (Principal{"bob", "", "test.afs"}));
    CHECK(t->session_key == token->session_key());
    CHECK(t->start == now);
    CHECK(t->end == token->end());
    CHECK(t->service == "afs");
    CHECK(!decode_ticket(token->ticket(), keys.find(3)->key));
}

TEST_CASE("a token's end is the ticket's real end, rounded up") {
    auto token = mint_token(cell_keys(), Principal{"alice"}, 24h, 1000);
    REQUIRE(token);
    CHECK(token->end() == 1000 + 91581);
    CHECK(decode_ticket(token->ticket(), cell_keys().latest()->key)->end == token->end());
}

TEST_CASE("minting with a chosen kvno, and failures") {
    auto keys = cell_keys();
    MintRequest r;
    r.who = Principal{"carol", "admin", ""};
    r.start = 100;
    r.end = 200;
    r.kvno = 3;
    auto token = mint_token(keys, r);
    REQUIRE(token);
    CHECK(token->kvno() == 3);
    CHECK(decode_ticket(token->ticket(), keys.find(3)->key)->client.instance == "admin");
    CHECK(token->describe() == "carol.admin (kvno 3)");

    r.kvno = 4;
    CHECK(mint_token(keys, r) == afs::fail(afs::errc::no_key));
    CHECK(mint_token(KeyFile{}, Principal{"bob"}, 1h, 100) == afs::fail(afs::errc::no_key));
    CHECK(mint_token(keys, Principal{""}, 1h, 100) == afs::fail(afs::errc::bad_value));
    CHECK(mint_token(keys, Principal{"bob"}, 31 * 24h, 100) == afs::fail(afs::errc::bad_value));
    CHECK(mint_token(keys, Principal{"bob"}, 0s, 100) == afs::fail(afs::errc::bad_value));
    auto no_parity = *KeyFile::from_keys({{1, *Key::from_hex("0123456789abcdee")}});
    CHECK(mint_token(no_parity, Principal{"bob"}, 1h, 100) == afs::fail(afs::errc::no_key));
    auto k5 = *KeyFile::from_keys({{256, *Key::from_hex("0123456789abcdef")}});
    CHECK(mint_token(k5, Principal{"bob"}, 1h, 100) == afs::fail(afs::errc::bad_value));
}

TEST_CASE("two mints give different session keys") {
    auto a = mint_token(cell_keys(), Principal{"bob"}, 1h, 100);
    auto b = mint_token(cell_keys(), Principal{"bob"}, 1h, 100);
    REQUIRE(a);
    REQUIRE(b);
    CHECK(!(a->session_key() == b->session_key()));
    CHECK(!std::equal(a->ticket().begin(), a->ticket().end(), b->ticket().begin(), b->ticket().end()));
}

TEST_CASE("a localauth token is afs, local cell, never expiring") {
    auto token = mint_localauth_token(cell_keys());
    REQUIRE(token);
    CHECK(token->principal() == (Principal{"afs", "", ""}));
    CHECK(token->start() == 0);
    CHECK(token->end() == never_expires);
    CHECK(!token->expired(0xFFFFFFFEu));
    auto t = decode_ticket(token->ticket(), cell_keys().latest()->key);
    REQUIRE(t);
    CHECK(t->end == never_expires);
    CHECK(check_ticket_time(t->start, t->end, 1'700'000'000) == TicketTime::valid_forever);
}

TEST_CASE("expiry is exact at the end time") {
    auto token = *mint_token(cell_keys(), Principal{"bob"}, 1h, 1000);
    CHECK(!token.expired(1000));
    CHECK(!token.expired(1000 + 3599));
    CHECK(token.expired(1000 + 3600));
    CHECK(token.expired(1000 + 7200));
}

TEST_CASE("tokens are cheap to copy: copies share state") {
    auto token = *mint_token(cell_keys(), Principal{"bob"}, 1h, 1000);
    Token copy = token;
    CHECK(copy.same_as(token));
    CHECK(copy.ticket().data() == token.ticket().data());
    std::vector<Token> held{token, copy, token};
    CHECK(held[2].same_as(held[0]));
    auto other = *mint_token(cell_keys(), Principal{"bob"}, 1h, 1000);
    CHECK(!other.same_as(token));
}

TEST_CASE("tokens from elsewhere: any principal, ticket size limits") {
    std::vector<std::byte> ticket(300, std::byte{7});
    auto token = Token::make({}, *Key::from_hex("0123456789abcdef"), 256, ticket, 0, 0);
    REQUIRE(token);
    CHECK(token->describe() == "unknown principal (Kerberos 5)");
    CHECK(Token::make({}, Key{}, 1, {}, 0, 1) == afs::fail(afs::errc::bad_ticket));
    CHECK(!Token::make({}, Key{}, 1, std::vector<std::byte>(max_ticket_size + 1), 0, 1));
    CHECK(Token::make({}, Key{}, 1, std::vector<std::byte>(max_ticket_size), 0, 1));
}
