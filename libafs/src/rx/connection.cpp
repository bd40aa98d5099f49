// Per-connection state: serial numbers, what we learned about the path to the peer,
// what we advertise, and connection-level packets (CHALLENGE, connection ABORT).
#include <algorithm>

#include "engine_impl.hpp"

namespace afs::rx {

using namespace detail;

namespace detail {

uint32_t Connection::take_serial() {
    const uint32_t s = next_serial++;
    if (next_serial == 0) next_serial = 1;  // 0 means "no serial" in an ACK
    return s;
}

void Connection::record_transmission(uint32_t serial, Clock::time_point now) {
    tx[serial % tx.size()] = TxRecord{serial, now};
}

std::optional<Clock::duration> Connection::rtt_sample(uint32_t serial, Clock::time_point now) {
    TxRecord& r = tx[serial % tx.size()];
    if (r.serial != serial || serial == 0) return std::nullopt;
    r.serial = 0;  // one sample per transmission
    return now - r.at;
}

void Connection::learn_from(const AckTrailer& t) {
    if (t.words >= 1 && t.max_mtu != 0)
        peer_max_mtu = std::clamp<uint32_t>(t.max_mtu, min_packet_size, max_packet_size);
    if (t.words >= 2) peer_if_mtu = t.if_mtu;
    if (t.words >= 3) peer_window = std::min<uint32_t>(t.rwind, max_acks);
    if (t.words >= 4) peer_jumbo_max = std::clamp<uint32_t>(t.jumbo_max, 1, max_packets_per_datagram);
}

int Connection::free_channel() const {
    for (size_t i = 0; i < channels.size(); ++i)
        if (!channels[i].call) return static_cast<int>(i);
    return -1;
}

bool Connection::has_active_calls() const {
    return std::any_of(channels.begin(), channels.end(), [](const Channel& c) { return c.call != nullptr; });
}

}  // namespace detail

uint32_t Engine::Impl::jumbo_packets(const Connection& conn) const {
    if (!opt.send_jumbograms || conn.peer_jumbo_max <= 1 || conn.peer_max_mtu == 0) return 1;
    uint32_t k = std::min(conn.peer_jumbo_max, max_dgram_packets);
    // The whole datagram must fit in what the peer said it receives.
    const uint32_t fit = (conn.peer_max_mtu - header_size + jumbo_header_size) / (jumbo_buffer_size + jumbo_header_size);
    return std::max<uint32_t>(1, std::min(k, fit));
}

size_t Engine::Impl::packet_payload(const Connection& conn) const {
    if (!conn.security) return 0;  // a connection without security carries no calls
    if (jumbo_packets(conn) > 1) return std::max<size_t>(1, conn.security->max_user_data(jumbo_buffer_size));
    // Until the peer tells us its size, stay at the size every Rx peer takes.
    size_t packet = std::min(opt.max_packet_size, conn.peer_max_mtu ? size_t{conn.peer_max_mtu} : default_packet_size);
    packet = std::clamp(packet, min_packet_size, max_packet_size);
    return std::max<size_t>(1, conn.security->max_user_data(packet - header_size));
}

AckTrailer Engine::Impl::our_trailer(uint32_t rwind) const {
    // maxMTU is the largest datagram we take: with jumbograms, that many packets of 1412.
    const uint32_t jumbo = opt.jumbo_max;
    uint32_t receive = static_cast<uint32_t>(opt.max_packet_size);
    if (jumbo > 1)
        receive = std::max<uint32_t>(receive, static_cast<uint32_t>(header_size + jumbo * jumbo_buffer_size +
                                                                     (jumbo - 1) * jumbo_header_size));
    // A full receiver says 0: OpenAFS reads that as 1 (one probe packet), our engine as
    // "wait" (its keepalive pings fetch the window again if the update is lost).
    return AckTrailer{receive, static_cast<uint32_t>(opt.max_packet_size), rwind, jumbo, 4};
}

void Engine::Impl::on_challenge(Connection& conn, const Header&, std::span<const std::byte> body, Clock::time_point now) {
    ++stats.challenges_received;
    if (!conn.client || !conn.has_active_calls()) return;  // nothing to authenticate for
    std::array<uint32_t, channels_per_connection> numbers{};
    for (size_t i = 0; i < numbers.size(); ++i) numbers[i] = conn.channels[i].call_number;
    auto response = conn.security->respond(body, numbers);
    if (!response) {
        // We cannot prove who we are: the server will not run these calls.
        for (auto& ch : conn.channels)
            if (ch.call) fail_call(*ch.call, response.error(), now);
        return;
    }
    send_simple(conn, header_for(conn, 0, 0, PacketType::response), *response);
    ++stats.responses_sent;
}

void Engine::Impl::on_connection_abort(Connection& conn, int32_t code, Clock::time_point now) {
    fail_connection(conn, abort_error(code), now);
}

}  // namespace afs::rx
