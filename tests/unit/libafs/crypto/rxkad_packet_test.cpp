// rxkad DATA packets: sizes, round trips both ways, and what each level catches.
#include <doctest/doctest.h>

#include <cstring>

#include "byte_order_for_tests.hpp"
#include "libafs/crypto/fcrypt.hpp"
#include "rxkad_test_support.hpp"
#include "test_bytes.hpp"
#include "test_util.hpp"

using namespace afs::crypto;
using afs::abort_code::RXKADDATALEN;
using afs::abort_code::RXKADPACKETSHORT;
using afs::abort_code::RXKADSEALEDINCON;
using afs::rx::PacketIdentity;
using cryptotest::RxkadPair;

namespace {

constexpr Level all_levels[] = {Level::clear, Level::auth, Level::crypt};

bool is_abort(const std::error_code& ec, int32_t code) { return ec == afs::abort_error(code); }

struct Sealed {
    std::vector<std::byte> bytes;
    uint16_t checksum = 0;
};

Sealed seal(afs::rx::ConnectionSecurity& conn, const PacketIdentity& p, std::span<const std::byte> user) {
    std::vector<std::byte> area(conn.header_size() + user.size() + 8);
    std::copy(user.begin(), user.end(), area.begin() + ptrdiff_t(conn.header_size()));
    Sealed s;
    auto n = conn.seal(p, area, user.size(), s.checksum);
    REQUIRE(n);
    area.resize(*n);
    s.bytes = std::move(area);
    return s;
}

std::vector<std::byte> open(afs::rx::ConnectionSecurity& conn, const PacketIdentity& p, Sealed s) {
    auto span = conn.unseal(p, s.bytes, s.checksum);
    REQUIRE(span);
    return {s.bytes.begin() + ptrdiff_t(span->offset), s.bytes.begin() + ptrdiff_t(span->offset + span->length)};
}

}  // namespace

TEST_CASE("header sizes and the most user data per packet") {
    RxkadPair clear(Level::clear), auth(Level::auth), crypt(Level::crypt);
    CHECK(clear.client->header_size() == 0);
    CHECK(auth.client->header_size() == 4);
    CHECK(crypt.client->header_size() == 8);
    CHECK(clear.client->max_user_data(1416) == 1416);
    CHECK(auth.client->max_user_data(1416) == 1412);
    CHECK(crypt.client->max_user_data(1416) == 1408);
    CHECK(crypt.client->max_user_data(1417) == 1408);
    CHECK(crypt.client->max_user_data(1423) == 1408);
    CHECK(crypt.client->max_user_data(1424) == 1416);
    CHECK(auth.client->max_user_data(7) == 0);
    CHECK(crypt.client->max_user_data(15) == 0);
    CHECK(crypt.client->max_user_data(16) == 8);
    CHECK(crypt.client->max_user_data(1 << 20) <= 0xffff);

    // The maximum always seals into exactly the space given, never more.
    for (Level level : all_levels) {
        RxkadPair pair(level);
        for (size_t space : {8u, 9u, 100u, 1416u, 1444u, 8588u}) {
            size_t max = pair.client->max_user_data(space);
            std::vector<std::byte> area(space + 8);
            uint16_t ck = 0;
            auto n = pair.client->seal({1, 1, 0}, area, max, ck);
            REQUIRE(n);
            CHECK(*n <= space);
        }
    }
}

TEST_CASE("packets round-trip client to server and back, at every level and size") {
    for (Level level : all_levels) {
        CAPTURE(std::string(to_string(level)));
        RxkadPair pair(level);
        for (size_t len = 0; len <= 1412; len += (len < 40 ? 1 : 97)) {
            auto data = testutil::random_bytes(len, len + 1);
            PacketIdentity p{9, static_cast<uint32_t>(len + 1), static_cast<uint32_t>(len % 4)};
            auto up = seal(*pair.client, p, data);
            CHECK(up.checksum != 0);
            size_t expected = level == Level::clear ? len : level == Level::auth ? std::max<size_t>(8, 4 + len)
                                                                                 : ((8 + len + 7) & ~size_t(7));
            CHECK(up.bytes.size() == expected);
            CHECK(open(*pair.server, p, up) == data);
            auto down = seal(*pair.server, p, data);
            CHECK(open(*pair.client, p, down) == data);
            CHECK(down.bytes == up.bytes);  // the two ends share every derived value
        }
    }
}

TEST_CASE("what each level hides: crypt everything, auth only the first block, clear nothing") {
    auto data = cryptotest::bytes_of("a recognisable plaintext that spans several blocks");
    for (Level level : all_levels) {
        RxkadPair pair(level);
        auto s = seal(*pair.client, {2, 1, 0}, data);
        std::string wire(reinterpret_cast<const char*>(s.bytes.data()), s.bytes.size());
        if (level == Level::clear) CHECK(wire == "a recognisable plaintext that spans several blocks");
        if (level == Level::auth) CHECK(wire.substr(8, data.size() - 4) == "cognisable plaintext that spans several blocks");
        if (level == Level::crypt) CHECK(wire.find("plaintext") == std::string::npos);
    }
}

TEST_CASE("the crypt layout: word, zero word, data, zero padding, PCBC with the session key") {
    RxkadPair pair(Level::crypt);
    auto data = cryptotest::bytes_of("0123456789");
    PacketIdentity p{0x10002, 0x30004, 1};
    auto s = seal(*pair.client, p, data);
    REQUIRE(s.bytes.size() == 24);
    Fcrypt f(pair.token->session_key());
    f.pcbc_decrypt(s.bytes, pair.token->session_key());
    CHECK(cryptotest::to_hex(std::span(s.bytes).first(8)) == "0006000a00000000");  // (seq ^ call) & 0xffff, length 10
    CHECK(std::string(reinterpret_cast<const char*>(s.bytes.data() + 8), 10) == "0123456789");
    CHECK(cryptotest::to_hex(std::span(s.bytes).subspan(18)) == "000000000000");
}

TEST_CASE("a wrong or missing checksum is refused once checksums are in use") {
    for (Level level : all_levels) {
        RxkadPair pair(level);
        auto s = seal(*pair.client, {3, 1, 0}, cryptotest::bytes_of("hello"));
        auto bad = s;
        bad.checksum ^= 0x0100;
        CHECK(is_abort(pair.server->unseal({3, 1, 0}, bad.bytes, bad.checksum).error(), RXKADSEALEDINCON));
        // A zero checksum is "none": tolerated until one has been seen, refused after.
        RxkadPair fresh(level);
        auto none = seal(*fresh.client, {3, 1, 0}, cryptotest::bytes_of("hello"));
        auto zero_first = none;
        CHECK(fresh.server->unseal({3, 1, 0}, zero_first.bytes, 0));
        CHECK(open(*fresh.server, {3, 2, 0}, seal(*fresh.client, {3, 2, 0}, cryptotest::bytes_of("x"))) ==
              cryptotest::bytes_of("x"));
        auto zero_after = seal(*fresh.client, {3, 3, 0}, cryptotest::bytes_of("hello"));
        CHECK(is_abort(fresh.server->unseal({3, 3, 0}, zero_after.bytes, 0).error(), RXKADSEALEDINCON));
    }
}

TEST_CASE("packets are bound to their seq, call number, channel and connection") {
    for (Level level : all_levels) {
        CAPTURE(std::string(to_string(level)));
        RxkadPair pair(level);
        const PacketIdentity sent{5, 10, 1};
        auto s = seal(*pair.client, sent, cryptotest::bytes_of("payload"));
        for (PacketIdentity other : {PacketIdentity{5, 11, 1}, PacketIdentity{6, 10, 1}, PacketIdentity{5, 10, 2},
                                     PacketIdentity{5, 10 + 0x10000, 1}, PacketIdentity{5 + 0x10000, 10, 1}}) {
            auto copy = s;
            CHECK(is_abort(pair.server->unseal(other, copy.bytes, copy.checksum).error(), RXKADSEALEDINCON));
        }
        // The protocol covers only the low 30 bits of seq (the top two carry the channel).
        auto wrapped = s;
        CHECK(pair.server->unseal({5, 10 + 0x40000000, 1}, wrapped.bytes, wrapped.checksum));
        // Without checksums (a peer that sends none), auth and crypt still check the seal word.
        if (level != Level::clear) {
            RxkadPair fresh(level);
            auto t = seal(*fresh.client, sent, cryptotest::bytes_of("payload"));
            CHECK(is_abort(fresh.server->unseal({5, 11, 1}, t.bytes, 0).error(), RXKADSEALEDINCON));
        }
        // Another connection of the same session key: different preSeq, different checksums.
        RxkadPair elsewhere(level, 0x2a5e1c08);
        auto copy = s;
        CHECK(is_abort(elsewhere.server->unseal(sent, copy.bytes, copy.checksum).error(), RXKADSEALEDINCON));
    }
}

TEST_CASE("tampering with the sealed first block is caught at auth and crypt") {
    for (Level level : {Level::auth, Level::crypt}) {
        CAPTURE(std::string(to_string(level)));
        RxkadPair pair(level);
        const PacketIdentity p{8, 2, 0};
        for (size_t len : {0u, 5u, 100u}) {
            auto s = seal(*pair.client, p, testutil::random_bytes(len, 3));
            for (size_t bit = 0; bit < 64; ++bit) {
                auto t = s;
                t.bytes[bit / 8] ^= std::byte(static_cast<uint8_t>(1u << (bit % 8)));
                auto r = pair.server->unseal(p, t.bytes, t.checksum);
                CHECK((is_abort(r.error(), RXKADSEALEDINCON) || is_abort(r.error(), RXKADDATALEN)));
            }
        }
    }
}

TEST_CASE("rxkad has no MAC: later blocks are not authenticated, but crypt garbles what was changed") {
    RxkadPair crypt(Level::crypt), auth(Level::auth);
    auto data = testutil::random_bytes(64, 11);
    auto s = seal(*crypt.client, {1, 1, 0}, data);
    s.bytes[20] ^= std::byte{1};
    auto got = open(*crypt.server, {1, 1, 0}, s);
    CHECK(got != data);
    CHECK(std::equal(got.begin(), got.begin() + 8, data.begin()));  // blocks before the change survive
    auto a = seal(*auth.client, {1, 1, 0}, data);
    a.bytes[20] ^= std::byte{1};
    auto changed = open(*auth.server, {1, 1, 0}, a);
    CHECK(changed != data);
    CHECK(changed[16] == (data[16] ^ std::byte{1}));  // exactly the flipped bit
}

TEST_CASE("truncated and lying packets") {
    for (Level level : {Level::auth, Level::crypt}) {
        CAPTURE(std::string(to_string(level)));
        RxkadPair pair(level);
        const PacketIdentity p{4, 4, 0};
        auto s = seal(*pair.client, p, testutil::random_bytes(40, 5));
        for (size_t keep = 0; keep < s.bytes.size(); ++keep) {
            std::vector<std::byte> cut(s.bytes.begin(), s.bytes.begin() + ptrdiff_t(keep));
            auto r = pair.server->unseal(p, cut, s.checksum);
            REQUIRE(!r);
            if (keep < 8) CHECK(is_abort(r.error(), RXKADPACKETSHORT));
            else CHECK(is_abort(r.error(), RXKADDATALEN));
        }
    }
    // A crypt packet whose sealed length claims more than it carries.
    RxkadPair pair(Level::crypt);
    std::vector<std::byte> forged(16);
    cryptotest::put_be32(forged.data(), ((4u ^ 4u) & 0xffff) << 16 | 9);  // 9 bytes claimed, 8 present
    Fcrypt(pair.token->session_key()).pcbc_encrypt(forged, pair.token->session_key());
    CHECK(is_abort(pair.server->unseal({4, 4, 0}, forged, 0).error(), RXKADDATALEN));
    // A ragged tail (not a whole block) is ignored, not trusted.
    auto ok = seal(*pair.client, {4, 4, 0}, cryptotest::bytes_of("abc"));
    ok.bytes.push_back(std::byte{0x55});
    CHECK(open(*pair.server, {4, 4, 0}, ok) == cryptotest::bytes_of("abc"));
}

TEST_CASE("random data areas never crash unseal and never yield bytes outside the area") {
    for (Level level : all_levels) {
        RxkadPair pair(level);
        for (uint64_t seed = 1; seed <= 300; ++seed) {
            auto junk = testutil::random_bytes(seed % 64, seed);
            auto r = pair.server->unseal({1, uint32_t(seed), 0}, junk, static_cast<uint16_t>(seed));
            if (r) CHECK(r->offset + r->length <= junk.size());
        }
    }
}

TEST_CASE("seal refuses areas too small for the sealed packet") {
    for (Level level : all_levels) {
        RxkadPair pair(level);
        uint16_t ck = 0;
        std::vector<std::byte> area(pair.client->header_size() + 10);
        CHECK(pair.client->seal({1, 1, 0}, area, 11, ck) == afs::fail(afs::errc::too_large));
        if (level == Level::crypt) {
            std::vector<std::byte> unpadded(8 + 10);  // needs 24 with padding
            CHECK(pair.client->seal({1, 1, 0}, unpadded, 10, ck) == afs::fail(afs::errc::too_large));
        }
        if (level == Level::auth) {
            std::vector<std::byte> tiny(5);  // needs a whole first block
            CHECK(pair.client->seal({1, 1, 0}, tiny, 1, ck) == afs::fail(afs::errc::too_large));
        }
        std::vector<std::byte> big(70000);
        CHECK(!pair.client->seal({1, 1, 0}, big, 0x10000, ck));
    }
}
