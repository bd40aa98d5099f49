// Tickets: layout, round trips, and hostile input.
#include <doctest/doctest.h>

#include "libafs/crypto/des.hpp"
#include "libafs/crypto/lifetime.hpp"
#include "libafs/crypto/ticket.hpp"
#include "test_bytes.hpp"
#include "test_util.hpp"

using namespace afs::crypto;
using cryptotest::hex;
using cryptotest::to_hex;

namespace {

const Key server_key = *Key::from_hex("b6f1c28a5d4f0b3d");
const Key session = *Key::from_hex("4a3b2c1d0e1f2a3b");

TicketContents bob() {
    TicketContents c;
    c.client = Principal{"bob", "", "test.afs"};
    c.host = 0x7f000001;
    c.session_key = session;
    c.start = 1'700'000'000;
    c.end = 1'700'000'000 + 3600;
    return c;
}

std::vector<std::byte> decrypted(std::vector<std::byte> t) {
    REQUIRE(!des_pcbc_decrypt(t, server_key, server_key));
    return t;
}

}  // namespace

TEST_CASE("a ticket's plaintext has the Kerberos 4 layout") {
    auto t = make_ticket(bob(), server_key);
    REQUIRE(t);
    auto plain = decrypted(*t);
    std::string expected_hex = "00"                  // flags
                               "626f6200"            // "bob"
                               "00"                  // instance ""
                               "746573742e61667300"  // "test.afs"
                               "7f000001"            // host
                               "4a3b2c1d0e1f2a3b"    // session key
                               "0c"                  // 12 x 5 minutes
                               "6553f100"            // start 1700000000
                               "61667300"            // "afs"
                               "00";                 // service instance ""
    CHECK(plain.size() == 40);  // 38 bytes rounded up to 8
    CHECK(to_hex(plain).substr(0, expected_hex.size()) == expected_hex);
    CHECK(to_hex(std::span(plain).subspan(38)) == "0000");
}

TEST_CASE("tickets round-trip through the server key") {
    auto c = bob();
    c.client.instance = "admin";
    c.service_instance = "test.afs";
    auto t = make_ticket(c, server_key);
    REQUIRE(t);
    CHECK(t->size() % 8 == 0);
    auto d = decode_ticket(*t, server_key);
    REQUIRE(d);
    CHECK(d->client == c.client);
    CHECK(d->host == c.host);
    CHECK(d->session_key == session);
    CHECK(d->start == c.start);
    CHECK(d->end == c.end);
    CHECK(d->service == "afs");
    CHECK(d->service_instance == "test.afs");
}

TEST_CASE("the ticket end is what the lifetime code can say") {
    auto c = bob();
    c.end = c.start + 86400;
    auto d = decode_ticket(*make_ticket(c, server_key), server_key);
    REQUIRE(d);
    CHECK(d->end == c.start + 91581);
    c.start = 0;
    c.end = never_expires;
    d = decode_ticket(*make_ticket(c, server_key), server_key);
    REQUIRE(d);
    CHECK(d->start == 0);
    CHECK(d->end == never_expires);
}

TEST_CASE("longest names give the largest ticket, still well under the limit") {
    auto c = bob();
    c.client = Principal{std::string(63, 'n'), std::string(63, 'i'), std::string(63, 'c')};
    c.service_instance = std::string(63, 's');
    auto t = make_ticket(c, server_key);
    REQUIRE(t);
    CHECK(t->size() <= 344);
    CHECK(decode_ticket(*t, server_key)->client == c.client);
}

TEST_CASE("tickets that cannot be made") {
    auto c = bob();
    c.client.name = "";
    CHECK(make_ticket(c, server_key) == afs::fail(afs::errc::bad_ticket));
    c = bob();
    c.client.name = std::string(64, 'x');
    CHECK(!make_ticket(c, server_key));
    c = bob();
    c.client.cell = std::string("a\0b", 3);
    CHECK(!make_ticket(c, server_key));
    c = bob();
    c.service = "";
    CHECK(!make_ticket(c, server_key));
    c = bob();
    c.end = c.start;
    CHECK(!make_ticket(c, server_key));
    c.end = c.start + 31 * 86400;
    CHECK(!make_ticket(c, server_key));
}

TEST_CASE("the wrong server key does not decode") {
    auto t = make_ticket(bob(), server_key);
    REQUIRE(t);
    int decoded = 0;
    for (uint64_t seed = 1; seed <= 200; ++seed) {
        auto k = with_odd_parity(*Key::from_bytes(testutil::random_bytes(8, seed)));
        if (decode_ticket(*t, k)) ++decoded;
    }
    CHECK(decoded == 0);
}

TEST_CASE("server keys without odd parity, or weak, are refused as OpenAFS refuses them") {
    auto t = make_ticket(bob(), server_key);
    REQUIRE(t);
    const Key no_parity = *Key::from_hex("b6f1c28a5d4e0b3d");
    CHECK(make_ticket(bob(), no_parity) == afs::fail(afs::errc::bad_ticket));
    CHECK(!decode_ticket(*t, no_parity));
    CHECK(!make_ticket(bob(), *Key::from_hex("0101010101010101")));
}

TEST_CASE("hostile ticket lengths") {
    auto t = *make_ticket(bob(), server_key);
    CHECK(decode_ticket({}, server_key) == afs::fail(afs::errc::bad_ticket));
    CHECK(!decode_ticket(std::span(t).first(24), server_key));  // under 32
    CHECK(!decode_ticket(std::span(t).first(39), server_key));  // not a multiple of 8
    CHECK(!decode_ticket(std::span(t).first(32), server_key));  // truncated: strings run off the end
    std::vector<std::byte> huge(max_ticket_size + 8);
    CHECK(!decode_ticket(huge, server_key));
    auto longer = t;
    longer.resize(t.size() + 8);  // parsed length no longer matches the ticket length
    CHECK(!decode_ticket(longer, server_key));
}

TEST_CASE("hostile ticket contents, encrypted with the right key") {
    auto seal = [](std::vector<std::byte> plain) {
        plain.resize((plain.size() + 7) & ~size_t(7));
        REQUIRE(!des_pcbc_encrypt(plain, server_key, server_key));
        return plain;
    };
    auto good = decrypted(*make_ticket(bob(), server_key));
    CHECK(decode_ticket(seal(good), server_key));

    // No NUL anywhere: every string runs to the end.
    CHECK(!decode_ticket(seal(std::vector<std::byte>(64, std::byte{'a'})), server_key));
    // A name of 64 characters.
    std::vector<std::byte> long_name{std::byte{0}};
    long_name.insert(long_name.end(), 64, std::byte{'n'});
    long_name.resize(120, std::byte{0});
    CHECK(!decode_ticket(seal(long_name), server_key));
    // An empty name.
    auto empty_name = good;
    empty_name.erase(empty_name.begin() + 1, empty_name.begin() + 4);
    CHECK(!decode_ticket(seal(empty_name), server_key));
    // An empty service name.
    auto no_service = hex("00 626f6200 00 00 00000000 4a3b2c1d0e1f2a3b 0c 6553f100 00 00");
    CHECK(!decode_ticket(seal(no_service), server_key));
    // All zero.
    CHECK(!decode_ticket(seal(std::vector<std::byte>(32)), server_key));
}

TEST_CASE("little-endian tickets (flags bit 0) are decoded") {
    auto plain = hex("01 626f6200 00 00 0100007f 4a3b2c1d0e1f2a3b 0c 00f15365 61667300 00");
    plain.resize(32);
    REQUIRE(!des_pcbc_encrypt(plain, server_key, server_key));
    auto d = decode_ticket(plain, server_key);
    REQUIRE(d);
    CHECK(d->host == 0x7f000001);
    CHECK(d->start == 1'700'000'000);
    CHECK(d->end == 1'700'003'600);
    CHECK(d->client.cell.empty());
}

TEST_CASE("56-byte tickets are accepted whatever their parsed length (old padding)") {
    auto plain = hex("00 626f6200 00 00 00000000 4a3b2c1d0e1f2a3b 0c 6553f100 61667300 00");
    plain.resize(56);
    REQUIRE(!des_pcbc_encrypt(plain, server_key, server_key));
    CHECK(decode_ticket(plain, server_key));
}

TEST_CASE("random garbage never crashes the decoder") {
    for (uint64_t seed = 1; seed <= 300; ++seed) {
        auto junk = testutil::random_bytes(8 * (seed % 40), seed);
        auto d = decode_ticket(junk, server_key);
        if (d) CHECK(validate(d->client) == std::error_code{});
    }
}
