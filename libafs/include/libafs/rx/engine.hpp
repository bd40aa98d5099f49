// Rx over one UDP socket, with no I/O (sans-I/O): connections, calls, their timers, and
// the demultiplexing of what arrives. The transport (transport.hpp) only moves datagrams
// and time in and carries the engine's actions out:
//
//   on_datagram(from, bytes, now) ──┐                        ┌──► front_output()/pop_output(): datagrams to send
//   on_timer(now)                   ├──► Engine (all state) ─┼──► next_deadline(): when to call on_timer
//   connect/new_call/write/finish/  │                        └──► take_events(): calls whose state changed,
//   read/abort/release(..., now) ───┘                             incoming calls for our services
//
// One engine serves both sides: calls we make on connections we open (client side), and
// calls peers make to services we registered (server side: an AFS client must serve the
// fileserver's callback calls on the socket it calls from). A DATA packet with
// CLIENT_INITIATED from an unknown (epoch, cid) opens a server connection.
//
// Data flows through calls as byte streams with flow control: write() takes what fits
// in the send queue, read() hands out what arrived in order; both report how much they
// moved and the application waits for a call_updated event to try again.
//
// An Engine is not thread-safe: one thread (or strand) at a time.
#pragma once

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "libafs/error.hpp"
#include "libafs/rx/congestion.hpp"
#include "libafs/rx/packet.hpp"
#include "libafs/rx/rtt.hpp"
#include "libafs/rx/security.hpp"

namespace afs::rx {

// A UDP peer: an IPv4 or IPv6 address and a port, without Asio.
struct PeerAddress {
    std::array<uint8_t, 16> ip{};   // IPv4: the first 4 bytes, in network order
    uint16_t port = 0;
    bool v6 = false;

    static PeerAddress ipv4(uint32_t address, uint16_t port);   // address in host order (0x7f010001)
    std::string to_string() const;
    friend bool operator==(const PeerAddress&, const PeerAddress&) = default;
};

using ConnectionId = uint64_t;
using CallId = uint64_t;

struct EngineOptions {
    uint32_t epoch = 0;                       // 0: random, bit 31 set and bit 30 clear (as OpenAFS)
    uint32_t first_cid = 0;                   // 0: random; the channel bits are cleared
    size_t max_packet_size = default_packet_size;  // largest packet we send and accept, header included
    uint32_t receive_window = 128;            // packets we hold per call (advertised rwind), <= 255
    uint32_t max_send_window = 128;           // packets in flight per call at most
    uint32_t initial_peer_window = 16;        // the peer's window until its first ACK says
    uint32_t send_queue_packets = 0;          // packets write() may queue per call; 0: 2 x max_send_window
    uint32_t jumbo_max = 4;                   // packets per jumbogram we accept and advertise (1: none)
    // Send jumbograms when the peer advertises jumboMax > 1. Off by default, as OpenAFS's
    // servers have it (they need IP fragmentation on real networks); on loopback between
    // two of our engines they carry ~35% more (release build: ~530 vs ~390 MiB/s).
    bool send_jumbograms = false;
    CongestionOptions congestion;
    RttOptions rtt;
    Clock::duration dead_time = std::chrono::seconds(12);    // silence before a call fails (RX_CALL_DEAD)
    Clock::duration idle_timeout{};           // no data either way for this long: RX_CALL_TIMEOUT (0: off)
    Clock::duration keepalive{};              // ping an idle call after this (0: dead_time / 6)
    Clock::duration delayed_ack = std::chrono::milliseconds(100);
    Clock::duration server_connection_idle = std::chrono::minutes(10);  // reap idle incoming connections
    size_t max_server_connections = 10000;
    std::string version = "netcp rx";         // the answer to a VERSION request
};

// What the application can do with a call now.
struct CallStatus {
    bool exists = false;        // false: unknown or released id
    bool started = false;       // it has a channel (a client call may wait for one)
    size_t writable = 0;        // bytes write() would take now
    size_t readable = 0;        // bytes read() would give now
    bool end_of_data = false;   // the peer's side is complete and all of it was read
    bool done = false;          // nothing more will happen (success or error)
    std::error_code error;      // why it failed
};

struct EngineEvent {
    enum class Kind : uint8_t {
        call_updated,    // a call's status may have changed (readable, writable, done...)
        incoming_call,   // a peer opened a call to one of our services
    };
    Kind kind = Kind::call_updated;
    CallId call = 0;
    uint16_t service_id = 0;
};

// One datagram to send.
struct OutDatagram {
    PeerAddress to;
    std::vector<std::byte> bytes;
};

struct EngineStats {
    uint64_t datagrams_sent = 0, datagrams_received = 0;
    uint64_t packets_sent = 0, packets_received = 0;          // jumbogram parts count one each
    uint64_t data_packets_sent = 0, data_packets_received = 0;
    uint64_t retransmissions = 0, fast_retransmits = 0, timeouts = 0;
    uint64_t acks_sent = 0, acks_received = 0, pings_sent = 0, ping_responses_sent = 0;
    uint64_t duplicates_received = 0, out_of_window = 0;
    uint64_t jumbograms_sent = 0, jumbograms_received = 0;
    uint64_t busies_received = 0, busies_sent = 0, aborts_sent = 0, aborts_received = 0;
    uint64_t challenges_received = 0, responses_sent = 0, versions_answered = 0;
    uint64_t dropped = 0;                                     // malformed or for nobody
    uint64_t bytes_sent = 0, bytes_received = 0;              // call payload only
    uint64_t calls_started = 0, calls_succeeded = 0, calls_failed = 0, incoming_calls = 0;
};

struct ConnectionStats {
    bool exists = false;
    std::optional<Clock::duration> srtt;
    Clock::duration rto{};
    uint32_t peer_window = 0;       // the peer's rwind
    uint32_t peer_max_packet = 0;   // the peer's maxMTU (0: not heard yet)
    uint32_t peer_jumbo_max = 0;
    uint32_t congestion_window = 0; // as left by the last call
    size_t packet_payload = 0;      // user bytes per DATA packet we send now
    std::error_code error;          // a connection-level abort
};

class Engine {
public:
    Engine(EngineOptions options, Clock::time_point now);
    ~Engine();
    Engine(const Engine&) = delete;
    Engine& operator=(const Engine&) = delete;

    uint32_t epoch() const;
    const EngineOptions& options() const;

    // Client connections. The security class makes the connection's ConnectionSecurity;
    // without one (null), calls on the connection fail with errc::security_mismatch.
    ConnectionId connect(const PeerAddress& peer, uint16_t service_id, std::shared_ptr<SecurityClass> security,
                         Clock::time_point now);
    // Aborts the connection's unfinished calls (RX_USER_ABORT), which then fail with
    // errc::not_connected, as do later calls.
    void close_connection(ConnectionId conn, Clock::time_point now);
    ConnectionStats connection_stats(ConnectionId conn) const;

    // Services we serve. Incoming calls show up as incoming_call events; only security
    // classes that need no challenge (rxnull) can serve.
    void add_service(uint16_t service_id, std::shared_ptr<SecurityClass> security);

    // Calls. A new client call starts when one of the connection's 4 channels is free.
    result<CallId> new_call(ConnectionId conn, Clock::time_point now);
    // Copies what fits into the send queue; returns how much (0: full, wait for an event).
    result<size_t> write(CallId call, std::span<const std::byte> data, Clock::time_point now);
    // Our side of the call is complete (the request, or the reply for a server call).
    std::error_code finish(CallId call, Clock::time_point now);
    // Copies what arrived in order; 0 with status().end_of_data means the end.
    result<size_t> read(CallId call, std::span<std::byte> out, Clock::time_point now);
    // Ends the call with an ABORT carrying `code`; the call fails with errc::cancelled.
    void abort(CallId call, int32_t code, Clock::time_point now);
    // The application lets go. An unfinished call is aborted (RX_USER_ABORT), except a
    // server call whose reply is written: it lives on until the peer acknowledges it.
    void release(CallId call, Clock::time_point now);
    CallStatus status(CallId call) const;
    // The call's connection, and the (channel, call number) it runs as (0, 0 while waiting).
    ConnectionId connection_of(CallId call) const;
    std::pair<uint32_t, uint32_t> channel_of(CallId call) const;

    // I/O. A datagram is modified in place (security classes unseal in place).
    void on_datagram(const PeerAddress& from, std::span<std::byte> datagram, Clock::time_point now);
    void on_timer(Clock::time_point now);
    std::optional<Clock::time_point> next_deadline() const;

    bool has_output() const;
    OutDatagram& front_output();
    void pop_output();
    // Moves the pending events into `out` (cleared first).
    void take_events(std::vector<EngineEvent>& out);

    // Fails every call with `ec`; later operations fail with it too.
    void shutdown(std::error_code ec, Clock::time_point now);

    const EngineStats& stats() const;

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace afs::rx
