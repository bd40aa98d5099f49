// Known answers produced by OpenAFS 1.8.9's own rxkad (Debian libopenafs-dev, driven by a
// throwaway program through tkt_MakeTicket, RXS_GetResponse and RXS_PreparePacket on a
// client connection). Epoch and cid are the ones that run's connections had.
#include <doctest/doctest.h>

#include "libafs/crypto/rxkad.hpp"
#include "libafs/crypto/rxkad_server.hpp"
#include "libafs/crypto/ticket.hpp"
#include "test_bytes.hpp"

using namespace afs::crypto;
using cryptotest::hex;
using cryptotest::to_hex;

namespace {

const Key session_key = *Key::from_hex("4a3b2c1d0e1f2a3b");
const Key server_key = *Key::from_hex("b6f1c28a5d4f0b3d");
constexpr uint32_t epoch = 0x8e218639;
constexpr const char* openafs_ticket = "0eb2e8be0d5aae44015b110dc972655fec153c1714018fb6b422ebf5ad5eae25b347b56fe1eebf29";

Token bob_token() {
    return *Token::make(Principal{"bob", "", "test.afs"}, session_key, 5, hex(openafs_ticket), 1'700'000'000,
                        1'700'003'600);
}

struct LevelVectors {
    Level level;
    uint32_t cid;
    const char* response;       // v2 challenge id 0x11223344 level 0, no calls made yet
    const char* response2;      // v2 challenge id 0xdeadbeef at the level, after one call on channel 0
    const char* old_response;   // old challenge id 0x11223344 level 1 ("" = RXKADLEVELFAIL)
    uint16_t checksum;          // DATA call 7, seq 3, channel 2
    const char* sealed_empty;   // ... with no user data
    const char* sealed_21;      // ... with user data "ABCDEFGHIJKLMNOPQRSTU"
};

const LevelVectors vectors[] = {
    {Level::clear, 0xbd9f76e4,
     "00000002000000006b52f88f3445a81d1ce499560d0ea5cca06ce5a09a59470c4b9a645852694ee7a99fa8f0836bcb2e0000000500000028",
     "00000002000000006b52f88f3445a81d245fab9859d5fc2c0899b00ddf0c9b80b63a88e6ba800bdf62a327fbeae0044e0000000500000028",
     "", 0x3bb6, "", "4142434445464748494a4b4c4d4e4f505152535455"},
    {Level::auth, 0xbd9f76e8,
     "00000002000000009ffbd8d8ac9899fb7aa160aad3886fbed18d248d9a099143464aa8d227b05dc819df0ca57f2a9dfa0000000500000028",
     "00000002000000009ffbd8d8ac9899fb93cbce289d7d6730bb1b8490adc7f43d1d90478b7279886b708d41408782dad10000000500000028",
     "e665d67e9d77e3f20000000500000028", 0x2620, "9a7737844e532045",
     "e7433e55efe5985e45464748494a4b4c4d4e4f505152535455"},
    {Level::crypt, 0xbd9f76ec,
     "0000000200000000706748df1f44ca6c8f8973eb2e025df7443c220dafbc4611013301ff41f4c07a24b6d020bb42ae0a0000000500000028",
     "0000000200000000706748df1f44ca6cde92e01f165a228bd37ddf17820951ac8cfad9545369b0cbc21b8219ab332744" "0000000500000028",
     "9a145c10a2948f460000000500000028", 0x1bea, "6db13f2fdef1d1ed",
     "0641bc2eb8b6762ca80661d3e6648e8fb43d38046335f4cacf982905c3c96549"},
};

afs::rx::ConnectionIdentity conn_for(uint32_t cid) {
    afs::rx::ConnectionIdentity id;
    id.epoch = epoch;
    id.cid = cid;
    id.service_id = 1;
    id.security_index = 2;
    return id;
}

}  // namespace

TEST_CASE("our tickets are byte for byte OpenAFS's tkt_MakeTicket") {
    TicketContents c;
    c.client = Principal{"bob", "", "test.afs"};
    c.host = 0x7f000001;
    c.session_key = session_key;
    c.start = 1'700'000'000;
    c.end = 1'700'003'600;
    auto t = make_ticket(c, server_key);
    REQUIRE(t);
    CHECK(to_hex(*t) == openafs_ticket);
    auto d = decode_ticket(hex(openafs_ticket), server_key);
    REQUIRE(d);
    CHECK(d->client == c.client);
    CHECK(d->end == c.end);
}

TEST_CASE("responses are byte for byte OpenAFS's, at every level, v2 and old") {
    for (const auto& v : vectors) {
        CAPTURE(std::string(to_string(v.level)));
        RxkadClient client(bob_token(), v.level);
        auto conn = client.new_connection(conn_for(v.cid));
        const std::string ticket_hex = openafs_ticket;

        auto r = conn->respond(hex("00000002 11223344 00000000 00000000"), {0, 0, 0, 0});
        REQUIRE(r);
        CHECK(to_hex(*r) == v.response + ticket_hex);

        auto r2 = conn->respond(hex("00000002 deadbeef 0000000" + std::to_string(int(v.level)) + " 00000000"),
                                {1, 0, 0, 0});
        REQUIRE(r2);
        CHECK(to_hex(*r2) == v.response2 + ticket_hex);

        auto old = conn->respond(hex("11223344 00000001"), {0, 0, 0, 0});
        if (*v.old_response) {
            REQUIRE(old);
            CHECK(to_hex(*old) == v.old_response + ticket_hex);
        } else {
            CHECK(old == afs::fail(afs::abort_error(afs::abort_code::RXKADLEVELFAIL)));
        }
    }
}

TEST_CASE("sealed DATA packets and header checksums are byte for byte OpenAFS's") {
    const afs::rx::PacketIdentity packet{7, 3, 2};
    const std::string user = "ABCDEFGHIJKLMNOPQRSTU";
    for (const auto& v : vectors) {
        CAPTURE(std::string(to_string(v.level)));
        RxkadClient client(bob_token(), v.level);
        auto conn = client.new_connection(conn_for(v.cid));
        const size_t header = conn->header_size();

        for (const char* expected : {v.sealed_empty, v.sealed_21}) {
            const size_t len = expected == v.sealed_empty ? 0 : user.size();
            std::vector<std::byte> area(header + len + 16, std::byte{0xee});
            std::copy_n(reinterpret_cast<const std::byte*>(user.data()), len, area.begin() + ptrdiff_t(header));
            uint16_t checksum = 0;
            auto sealed = conn->seal(packet, area, len, checksum);
            REQUIRE(sealed);
            CHECK(checksum == v.checksum);
            CHECK(to_hex(std::span(area).first(*sealed)) == expected);

            // And what OpenAFS sealed, we open.
            auto theirs = hex(expected);
            auto span = conn->unseal(packet, theirs, v.checksum);
            REQUIRE(span);
            CHECK(span->offset == header);
            CHECK(span->length == len);
            CHECK(std::string(reinterpret_cast<const char*>(theirs.data() + span->offset), span->length) ==
                  user.substr(0, len));
        }
    }
}

TEST_CASE("our verifier accepts what OpenAFS's client sent") {
    RxkadVerifier verifier(*KeyFile::from_keys({{5, server_key}}));
    for (const auto& v : vectors) {
        CAPTURE(std::string(to_string(v.level)));
        auto response = hex(std::string(v.response2) + openafs_ticket);
        auto who = verifier.verify(response, conn_for(v.cid), Challenge{0xdeadbeef, v.level, true}, 1'700'000'100);
        REQUIRE(who);
        CHECK(who->client == (Principal{"bob", "", "test.afs"}));
        CHECK(who->level == v.level);
        CHECK(who->session_key == session_key);
        CHECK(who->call_numbers == std::array<uint32_t, 4>{1, 0, 0, 0});
    }
}
