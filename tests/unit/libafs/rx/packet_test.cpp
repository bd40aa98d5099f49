// The Rx codec: header, ABORT and VERSION bodies, ACK bodies, jumbograms. Round trips,
// the exact byte layout, and hostile input (short, lying, random), which must give
// errors and never a read outside the input (the sanitizer build checks the latter).
#include <doctest/doctest.h>

#include <random>
#include <vector>

#include "libafs/rx/ack.hpp"
#include "libafs/rx/jumbo.hpp"
#include "libafs/rx/packet.hpp"

using namespace afs;
using namespace afs::rx;

namespace {

std::vector<std::byte> bytes(std::initializer_list<int> v) {
    std::vector<std::byte> out;
    for (int b : v) out.push_back(std::byte(static_cast<uint8_t>(b)));
    return out;
}

Header sample_header() {
    Header h;
    h.epoch = 0x80001234;
    h.cid = 0x0badc0d5;
    h.call_number = 7;
    h.seq = 3;
    h.serial = 0x01020304;
    h.type = PacketType::data;
    h.flags = flag::client_initiated | flag::last_packet;
    h.user_status = 1;
    h.security_index = 2;
    h.checksum = 0xbeef;
    h.service_id = 52;
    return h;
}

}  // namespace

TEST_CASE("the header is 28 big-endian bytes in OpenAFS's order") {
    std::array<std::byte, header_size> out{};
    encode_header(sample_header(), out);
    const auto expect = bytes({0x80, 0x00, 0x12, 0x34, 0x0b, 0xad, 0xc0, 0xd5, 0, 0, 0, 7, 0, 0, 0, 3,
                               0x01, 0x02, 0x03, 0x04, 1, 0x05, 1, 2, 0xbe, 0xef, 0, 52});
    CHECK(std::equal(out.begin(), out.end(), expect.begin(), expect.end()));
    auto h = decode_header(out);
    REQUIRE(h);
    CHECK(*h == sample_header());
    CHECK(h->channel() == 1);
    CHECK(h->connection_id() == 0x0badc0d4);
}

TEST_CASE("a header cut short or with an undefined type is an error") {
    std::array<std::byte, header_size> out{};
    encode_header(sample_header(), out);
    for (size_t n = 0; n < header_size; ++n) {
        auto r = decode_header(std::span<const std::byte>(out.data(), n));
        REQUIRE(!r);
        CHECK(r.error() == errc::truncated);
    }
    for (int t : {0, 12, 14, 99, 255}) {
        auto bad = out;
        bad[20] = std::byte(static_cast<uint8_t>(t));
        auto r = decode_header(bad);
        REQUIRE(!r);
        CHECK(r.error() == errc::bad_value);
    }
    for (int t : {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 13}) {
        auto ok = out;
        ok[20] = std::byte(static_cast<uint8_t>(t));
        CHECK(decode_header(ok));
    }
}

TEST_CASE("ABORT and VERSION bodies") {
    std::array<std::byte, 4> body{};
    encode_abort_body(abort_code::RXGEN_OPCODE, body);
    CHECK(body == std::array<std::byte, 4>{std::byte{0xff}, std::byte{0xff}, std::byte{0xfe}, std::byte{0x39}});
    CHECK(*decode_abort_body(body) == -455);
    CHECK(decode_abort_body(std::span<const std::byte>(body.data(), 3)).error() == errc::truncated);
    CHECK(!decode_abort_body({}));

    auto v = version_body("netcp");
    CHECK(v.size() == 65);
    CHECK(std::to_integer<char>(v[0]) == 'n');
    CHECK(v[5] == std::byte{0});
    auto longer = version_body(std::string(200, 'x'));
    CHECK(longer[63] == std::byte{'x'});
    CHECK(longer[64] == std::byte{0});  // always NUL-terminated
}

TEST_CASE("an ACK body round-trips with its trailer") {
    const auto acks = bytes({1, 0, 1, 1});
    Ack a;
    a.first_packet = 5;
    a.previous_packet = 8;
    a.serial = 99;
    a.reason = static_cast<uint8_t>(AckReason::out_of_sequence);
    a.acks = acks;
    a.trailer = AckTrailer{5800, 1444, 32, 4, 4};
    std::vector<std::byte> out(ack_body_size(acks.size()));
    auto n = encode_ack(a, out);
    REQUIRE(n);
    CHECK(*n == 18 + 4 + 3 + 16);
    // The trailer follows three pad bytes, unaligned: maxMTU starts at 18 + 4 + 3.
    CHECK(out[25] == std::byte{0});
    CHECK(out[27] == std::byte{0x16});
    CHECK(out[28] == std::byte{0xa8});
    auto d = decode_ack(out);
    REQUIRE(d);
    CHECK(d->first_packet == 5);
    CHECK(d->previous_packet == 8);
    CHECK(d->serial == 99);
    CHECK(d->reason_code() == AckReason::out_of_sequence);
    REQUIRE(d->acks.size() == 4);
    CHECK(d->acked(0));
    CHECK(!d->acked(1));
    CHECK(d->trailer.words == 4);
    CHECK(d->trailer.max_mtu == 5800);
    CHECK(d->trailer.if_mtu == 1444);
    CHECK(d->trailer.rwind == 32);
    CHECK(d->trailer.jumbo_max == 4);
}

TEST_CASE("ACK trailer words are read by length, as older peers send fewer") {
    const auto acks = bytes({1, 1});
    Ack a;
    a.first_packet = 1;
    a.acks = acks;
    a.trailer = AckTrailer{1, 2, 3, 4, 4};
    std::vector<std::byte> out(ack_body_size(2));
    REQUIRE(encode_ack(a, out));
    const size_t base = 18 + 2;
    for (size_t len = base; len <= out.size(); ++len) {
        auto d = decode_ack(std::span<const std::byte>(out.data(), len));
        REQUIRE(d);
        const size_t words = len < base + 3 ? 0 : std::min<size_t>(4, (len - base - 3) / 4);
        CAPTURE(len);
        CHECK(d->trailer.words == words);
        if (words >= 1) CHECK(d->trailer.max_mtu == 1);
        if (words >= 3) CHECK(d->trailer.rwind == 3);
        if (words < 4) CHECK(d->trailer.jumbo_max == 0);
    }
    // Extra bytes after the four words (a later extension) are ignored.
    out.resize(out.size() + 7);
    CHECK(decode_ack(out)->trailer.jumbo_max == 4);
}

TEST_CASE("hostile ACK bodies are errors, never over-reads") {
    std::vector<std::byte> short_body(17);
    CHECK(decode_ack(short_body).error() == errc::truncated);
    // nAcks claims 255 entries that are not there.
    std::vector<std::byte> lying(18 + 10);
    lying[17] = std::byte{255};
    CHECK(decode_ack(lying).error() == errc::truncated);
    Ack too_many;
    std::vector<std::byte> big(300);
    too_many.acks = big;
    std::vector<std::byte> out(1000);
    CHECK(encode_ack(too_many, out).error() == errc::too_large);
    Ack small;
    std::vector<std::byte> tiny(10);
    CHECK(encode_ack(small, tiny).error() == errc::too_large);

    std::mt19937 rng(7);
    for (int i = 0; i < 20000; ++i) {
        std::vector<std::byte> junk(rng() % 80);
        for (auto& b : junk) b = std::byte(static_cast<uint8_t>(rng()));
        auto d = decode_ack(junk);
        if (d) {
            CHECK(d->acks.data() >= junk.data());
            CHECK(d->acks.data() + d->acks.size() <= junk.data() + junk.size());
        }
    }
}

TEST_CASE("a jumbogram splits into consecutive packets") {
    std::vector<std::byte> a(jumbo_buffer_size, std::byte{0xa1}), b(jumbo_buffer_size, std::byte{0xb2}), c(100, std::byte{0xc3});
    Header first = sample_header();
    first.seq = 10;
    first.serial = 500;
    first.user_status = 9;
    const std::array<JumboPart, 3> parts{JumboPart{flag::client_initiated, 0x1111, a},
                                         JumboPart{flag::client_initiated, 0x2222, b},
                                         JumboPart{flag::client_initiated | flag::last_packet, 0x3333, c}};
    std::vector<std::byte> dgram;
    REQUIRE(!build_jumbogram(first, parts, dgram));
    CHECK(dgram.size() == header_size + 2 * jumbo_buffer_size + 100 + 2 * jumbo_header_size);
    auto h = decode_header(dgram);
    REQUIRE(h);
    CHECK(h->has(flag::jumbo_packet));
    std::array<PacketView, max_packets_per_datagram> out;
    auto n = split_jumbogram(*h, std::span<std::byte>(dgram).subspan(header_size), out);
    REQUIRE(n);
    REQUIRE(*n == 3);
    for (uint32_t i = 0; i < 3; ++i) {
        CHECK(out[i].header.seq == 10 + i);
        CHECK(out[i].header.serial == 500 + i);
        CHECK(!out[i].header.has(flag::jumbo_packet));
        CHECK(out[i].header.call_number == first.call_number);
        CHECK(out[i].header.cid == first.cid);
    }
    CHECK(out[0].header.user_status == 9);
    CHECK(out[1].header.user_status == 0);
    CHECK(out[0].header.checksum == 0x1111);
    CHECK(out[2].header.checksum == 0x3333);
    CHECK(out[2].header.has(flag::last_packet));
    CHECK(!out[1].header.has(flag::last_packet));
    CHECK(out[0].data.size() == jumbo_buffer_size);
    CHECK(out[1].data[0] == std::byte{0xb2});
    CHECK(out[2].data.size() == 100);
    CHECK(out[2].data[99] == std::byte{0xc3});
}

TEST_CASE("a plain DATA datagram is one packet, empty data included") {
    Header h = sample_header();
    h.flags = flag::last_packet;
    std::vector<std::byte> payload(5);
    std::array<PacketView, 4> out;
    auto n = split_jumbogram(h, payload, out);
    REQUIRE(n);
    CHECK(*n == 1);
    CHECK(out[0].data.size() == 5);
    CHECK(*split_jumbogram(h, {}, out) == 1);
}

TEST_CASE("hostile jumbograms are rejected whole") {
    Header h = sample_header();
    h.flags = flag::jumbo_packet;
    // JUMBO_PACKET set but fewer than 1412 + 4 bytes follow.
    for (size_t len : {size_t{0}, size_t{1}, jumbo_buffer_size, jumbo_buffer_size + 3}) {
        std::vector<std::byte> payload(len);
        std::array<PacketView, 8> out;
        auto n = split_jumbogram(h, payload, out);
        REQUIRE(!n);
        CHECK(n.error() == errc::truncated);
    }
    // Every jumbo header says "more": the datagram runs out, which is an error.
    std::vector<std::byte> chain(3 * (jumbo_buffer_size + jumbo_header_size));
    for (size_t i = 1; i <= 3; ++i) chain[i * (jumbo_buffer_size + jumbo_header_size) - 4] = std::byte{flag::jumbo_packet};
    std::array<PacketView, 8> out;
    CHECK(split_jumbogram(h, chain, out).error() == errc::truncated);
    // More packets than the caller has room for.
    std::array<PacketView, 2> two;
    CHECK(split_jumbogram(h, chain, two).error() == errc::too_large);

    std::vector<std::byte> dgram;
    std::vector<std::byte> odd(1000);
    const std::array<JumboPart, 2> bad{JumboPart{0, 0, odd}, JumboPart{0, 0, odd}};
    CHECK(build_jumbogram(h, bad, dgram) == errc::bad_value);
    CHECK(build_jumbogram(h, std::span<const JumboPart>{}, dgram) == errc::bad_value);

    std::mt19937 rng(11);
    std::array<PacketView, max_packets_per_datagram> many;
    for (int i = 0; i < 3000; ++i) {
        std::vector<std::byte> junk(rng() % 9000);
        for (auto& b : junk) b = std::byte(static_cast<uint8_t>(rng() & 0x21));  // flags bits, mostly
        Header f = h;
        f.flags = static_cast<uint8_t>(rng());
        auto n = split_jumbogram(f, junk, many);
        if (n) {
            size_t total = 0;
            for (size_t k = 0; k < *n; ++k) {
                CHECK(many[k].data.data() >= junk.data());
                CHECK(many[k].data.data() + many[k].data.size() <= junk.data() + junk.size());
                total += many[k].data.size();
            }
            CHECK(total + (*n - 1) * jumbo_header_size == junk.size());
        }
    }
}
