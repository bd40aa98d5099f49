// Drives an rx::Engine by hand: a fake clock, the datagrams it sends decoded into
// packets, and a scripted peer that builds the packets a server would send back.
#pragma once

#include <doctest/doctest.h>

#include <cstring>
#include <map>
#include <vector>

#include "libafs/rx/ack.hpp"
#include "libafs/rx/engine.hpp"
#include "libafs/rx/jumbo.hpp"
#include "libafs/rx/null_security.hpp"
#include "libafs/rx/packet.hpp"

namespace rxtest {

using namespace afs;
using namespace afs::rx;
using namespace std::chrono_literals;

inline std::vector<std::byte> pattern(size_t n, uint32_t seed = 1) {
    std::vector<std::byte> v(n);
    uint32_t x = seed * 2654435761u + 1;
    for (auto& b : v) {
        x = x * 1103515245u + 12345u;
        b = std::byte(static_cast<uint8_t>(x >> 16));
    }
    return v;
}

// Bytes of a string literal, embedded NULs included ("\x00\x00\x02\x07" is 4 bytes).
template <size_t N>
std::vector<std::byte> text(const char (&s)[N]) {
    std::vector<std::byte> v(N - 1);
    std::memcpy(v.data(), s, N - 1);
    return v;
}

// One packet the engine sent (jumbogram parts come out as separate packets).
struct Wire {
    PeerAddress to;
    Header h;
    std::vector<std::byte> body;  // DATA: the data area; other types: the body
    size_t datagram_size = 0;
    bool in_jumbogram = false;

    Ack ack() const {
        auto a = decode_ack(body);
        REQUIRE(a);
        return *a;
    }
    std::vector<uint8_t> acks() const {
        auto a = ack();
        std::vector<uint8_t> v;
        for (size_t i = 0; i < a.acks.size(); ++i) v.push_back(std::to_integer<uint8_t>(a.acks[i]));
        return v;
    }
    int32_t abort_code() const {
        auto c = decode_abort_body(body);
        REQUIRE(c);
        return *c;
    }
    bool is(PacketType t) const { return h.type == t; }
};

inline EngineOptions test_options() {
    EngineOptions o;
    o.epoch = 0x80000abc;
    o.first_cid = 0x1000;
    return o;
}

struct Harness {
    explicit Harness(EngineOptions o = test_options()) : now(Clock::time_point{} + 1000s), e(o, now) {}

    Clock::time_point now;
    Engine e;
    PeerAddress server = PeerAddress::ipv4(0x7f010001, 7000);
    uint32_t peer_serial = 1000;
    std::vector<EngineEvent> events;

    // Everything the engine wants sent, decoded.
    std::vector<Wire> sent() {
        std::vector<Wire> out;
        while (e.has_output()) {
            OutDatagram& d = e.front_output();
            auto h = decode_header(d.bytes);
            REQUIRE(h);
            if (h->type == PacketType::data) {
                std::array<PacketView, max_packets_per_datagram> parts;
                auto n = split_jumbogram(*h, std::span<std::byte>(d.bytes).subspan(header_size), parts);
                REQUIRE(n);
                for (size_t i = 0; i < *n; ++i)
                    out.push_back(Wire{d.to, parts[i].header, {parts[i].data.begin(), parts[i].data.end()},
                                       d.bytes.size(), *n > 1});
            } else {
                out.push_back(Wire{d.to, *h, {d.bytes.begin() + header_size, d.bytes.end()}, d.bytes.size(), false});
            }
            e.pop_output();
        }
        return out;
    }

    std::vector<EngineEvent> take_events() {
        e.take_events(events);
        return events;
    }

    void deliver(const Header& h, std::span<const std::byte> body, const PeerAddress* from = nullptr) {
        std::vector<std::byte> d(header_size + body.size());
        encode_header(h, std::span<std::byte, header_size>(d.data(), header_size));
        if (!body.empty()) std::memcpy(d.data() + header_size, body.data(), body.size());
        e.on_datagram(from ? *from : server, d, now);
    }

    // A packet from the server side of the call `ours` belongs to.
    Header from_server(const Header& ours, PacketType t, uint32_t seq = 0, uint8_t flags = 0) {
        Header h = ours;
        h.type = t;
        h.seq = seq;
        h.flags = flags;
        h.serial = ++peer_serial;
        h.checksum = 0;
        h.user_status = 0;
        return h;
    }

    void reply_data(const Header& ours, uint32_t seq, std::span<const std::byte> data, bool last, uint8_t extra = 0) {
        deliver(from_server(ours, PacketType::data, seq, static_cast<uint8_t>((last ? flag::last_packet : 0) | extra)),
                data);
    }

    void ack(const Header& ours, uint32_t first, std::vector<uint8_t> acks, uint32_t serial = 0,
             AckReason reason = AckReason::requested, uint32_t rwind = 32, uint8_t flags = 0, uint32_t max_mtu = 1444,
             uint32_t jumbo = 1) {
        std::vector<std::byte> a(acks.size());
        for (size_t i = 0; i < acks.size(); ++i) a[i] = std::byte(acks[i]);
        Ack k;
        k.first_packet = first;
        k.serial = serial;
        k.reason = static_cast<uint8_t>(reason);
        k.acks = a;
        k.trailer = AckTrailer{max_mtu, 1444, rwind, jumbo, 4};
        std::vector<std::byte> body(ack_body_size(acks.size()));
        REQUIRE(encode_ack(k, body));
        deliver(from_server(ours, PacketType::ack, 0, flags), body);
    }

    void abort(const Header& ours, int32_t code, uint32_t call_number) {
        std::array<std::byte, 4> b;
        encode_abort_body(code, b);
        Header h = from_server(ours, PacketType::abort);
        h.call_number = call_number;
        deliver(h, b);
    }

    // Moves the clock forward, firing timers on the way.
    void advance(Clock::duration d) {
        const auto end = now + d;
        for (;;) {
            auto next = e.next_deadline();
            if (!next || *next > end) break;
            now = std::max(now, *next);
            e.on_timer(now);
        }
        now = end;
    }

    ConnectionId connect(uint16_t service = 52, std::shared_ptr<SecurityClass> sec = null_security()) {
        return e.connect(server, service, std::move(sec), now);
    }

    CallId call(ConnectionId c, std::span<const std::byte> request, bool finish = true) {
        auto id = e.new_call(c, now);
        REQUIRE(id);
        if (!request.empty()) {
            auto n = e.write(*id, request, now);
            REQUIRE(n);
            REQUIRE(*n == request.size());
        }
        if (finish) REQUIRE(!e.finish(*id, now));
        return *id;
    }

    std::vector<std::byte> read_all(CallId id) {
        std::vector<std::byte> out;
        std::array<std::byte, 4096> buf;
        for (;;) {
            auto n = e.read(id, buf, now);
            REQUIRE(n);
            if (*n == 0) break;
            out.insert(out.end(), buf.begin(), buf.begin() + static_cast<ptrdiff_t>(*n));
        }
        return out;
    }
};

inline std::vector<Wire> of_type(const std::vector<Wire>& w, PacketType t) {
    std::vector<Wire> out;
    for (auto& x : w)
        if (x.h.type == t) out.push_back(x);
    return out;
}

}  // namespace rxtest
