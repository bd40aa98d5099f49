// The engine's state: connections, calls, timers, output. Shared by engine.cpp (API,
// demultiplexing, timers), connection.cpp, call_send.cpp and call_receive.cpp.
#pragma once

#include <array>
#include <deque>
#include <functional>
#include <memory>
#include <queue>
#include <unordered_map>
#include <vector>

#include "libafs/rx/ack.hpp"
#include "libafs/rx/buffer_pool.hpp"
#include "libafs/rx/congestion.hpp"
#include "libafs/rx/engine.hpp"
#include "libafs/rx/jumbo.hpp"
#include "libafs/rx/receive_queue.hpp"
#include "libafs/rx/rtt.hpp"
#include "libafs/rx/send_queue.hpp"

namespace afs::rx::detail {

inline constexpr Clock::time_point never = Clock::time_point::max();
inline constexpr uint32_t epoch_match_by_id_only = 0x80000000u;  // epoch bit 31: ignore the peer address
inline constexpr uint32_t max_dgram_packets = 6;                 // RX_MAX_DGRAM_PACKETS: most we put in one

struct Connection;

struct Call {
    Call(BufferPool& pool, uint32_t send_capacity, uint32_t receive_window, const CongestionOptions& cc)
        : send(pool, send_capacity), recv(pool, receive_window), cwnd(cc), last_ack_window(recv.window()) {}

    enum class State : uint8_t { waiting, active, done };

    CallId id = 0;
    Connection* conn = nullptr;
    bool client = true;
    State state = State::waiting;
    bool on_channel = false;      // conn->channels[channel].call == this
    uint32_t channel = 0;
    uint32_t call_number = 0;
    std::error_code error;
    bool released = false;
    bool notified = false;        // a call_updated event is queued
    bool dirty = false;           // in Impl::touched
    bool reply_started = false;   // client: reply data arrived, so the request is acknowledged

    SendQueue send;
    ReceiveQueue recv;
    CongestionWindow cwnd;

    // ACK state: one ACK per call per event at most, the strongest reason wins.
    uint32_t unacked_packets = 0;    // DATA received since our last ACK
    uint32_t last_ack_window = 0;    // rwind of our last ACK
    bool ack_queued = false;
    AckReason ack_reason = AckReason::delay;
    uint32_t ack_serial = 0;

    Clock::time_point last_heard{}, last_sent{}, last_progress{};
    Clock::time_point rto_deadline = never, ack_deadline = never, busy_until{};
    Clock::time_point scheduled = never;  // the deadline in the timer heap
    uint64_t timer_generation = 0;
};

struct Channel {
    Call* call = nullptr;
    uint32_t call_number = 0;       // the current call, or the last one
    uint32_t final_first = 0;       // client: firstPacket that acknowledges the last call's whole reply
    bool aborted = false;           // we aborted call_number with abort_code
    int32_t abort_code = 0;
    Clock::time_point last_answer{};  // rate limit for answering a finished call's stray packets
};

struct TxRecord {
    uint32_t serial = 0;
    Clock::time_point at{};
};

struct Connection {
    ConnectionId id = 0;
    bool client = true;
    PeerAddress peer;
    uint32_t epoch = 0;
    uint32_t cid = 0;               // channel bits clear
    uint16_t service_id = 0;
    uint8_t security_index = 0;
    std::shared_ptr<SecurityClass> security_class;
    std::unique_ptr<ConnectionSecurity> security;

    uint32_t next_serial = 1;
    std::array<Channel, channels_per_connection> channels{};
    std::deque<Call*> waiting;      // client calls waiting for a channel
    size_t calls = 0;               // Call objects pointing at this connection
    std::error_code error;          // connection-level abort, or closed
    bool closed = false;
    Clock::time_point last_heard{};

    // The path to the peer, learned from its ACKs.
    RttEstimator rtt;
    std::array<TxRecord, 512> tx{};  // send times by serial, for RTT samples
    uint32_t peer_window = 16;
    uint32_t peer_max_mtu = 0;
    uint32_t peer_if_mtu = 0;
    uint32_t peer_jumbo_max = 1;
    uint32_t saved_cwnd = 0, saved_ssthresh = 0;  // what the last finished call learned

    uint32_t take_serial();
    void record_transmission(uint32_t serial, Clock::time_point now);
    // The time since `serial` was sent, once per transmission.
    std::optional<Clock::duration> rtt_sample(uint32_t serial, Clock::time_point now);
    void learn_from(const AckTrailer& t);
    int free_channel() const;   // the lowest channel without a call, -1 if none
    bool has_active_calls() const;
};

struct ServerKey {
    uint32_t epoch = 0;
    uint32_t cid = 0;
    PeerAddress peer;  // zero when the epoch says to match by id only
    friend bool operator==(const ServerKey&, const ServerKey&) = default;
};

struct ServerKeyHash {
    size_t operator()(const ServerKey& k) const noexcept;
};

struct TimerEntry {
    Clock::time_point at;
    CallId call;
    uint64_t generation;
    bool operator>(const TimerEntry& o) const { return at > o.at; }
};

}  // namespace afs::rx::detail

namespace afs::rx {

struct Engine::Impl {
    using Call = detail::Call;
    using Connection = detail::Connection;
    using Channel = detail::Channel;

    Impl(EngineOptions o, Clock::time_point now);

    EngineOptions opt;
    EngineStats stats;
    uint32_t epoch = 0;
    uint32_t next_cid = 0;
    ConnectionId next_conn_id = 1;
    CallId next_call_id = 1;
    std::error_code shut;
    Clock::duration keepalive{};
    Clock::time_point housekeeping = detail::never;

    BufferPool data_pool{2048, 8192};
    BufferPool out_pool{2048, 1024};
    std::unordered_map<ConnectionId, std::unique_ptr<Connection>> conns;
    std::unordered_map<uint32_t, Connection*> client_by_cid;
    std::unordered_map<detail::ServerKey, Connection*, detail::ServerKeyHash> server_by_key;
    std::unordered_map<CallId, std::unique_ptr<Call>> calls;
    std::unordered_map<uint16_t, std::shared_ptr<SecurityClass>> services;

    std::deque<OutDatagram> output;
    std::vector<EngineEvent> events;
    std::vector<Call*> touched;   // calls to settle at the end of the current event
    std::priority_queue<detail::TimerEntry, std::vector<detail::TimerEntry>, std::greater<>> timers;

    struct Batched {
        OutgoingPacket* packet;
        uint32_t serial;
        bool retransmission;
    };
    std::vector<Batched> batch;    // reused by pump()
    std::array<std::byte, max_acks> ack_scratch{};

    // engine.cpp: lookups, lifecycle, timers, output
    Call* find_call(CallId id) const;
    Call* call_on(Connection& conn, const Header& h) const;
    void touch(Call& call);
    void notify(Call& call);
    void settle(Clock::time_point now);
    void reschedule(Call& call);
    Clock::time_point deadline_of(const Call& call) const;
    void on_call_timer(Call& call, Clock::time_point now);
    void housekeep(Clock::time_point now);
    void activate(Call& call, Channel& ch, uint32_t channel, Clock::time_point now);
    void unlink(Call& call, Clock::time_point now);
    void start_waiting(Connection& conn, Clock::time_point now);
    void fail_call(Call& call, std::error_code ec, Clock::time_point now);
    void succeed_call(Call& call, Clock::time_point now);
    void abort_call(Call& call, int32_t code, std::error_code local, Clock::time_point now);
    void fail_connection(Connection& conn, std::error_code ec, Clock::time_point now);
    bool deletable(const Call& call) const;
    void delete_call(Call& call);
    void maybe_delete_connection(Connection& conn);
    OutDatagram& new_output(const PeerAddress& to);
    Header header_for(const Connection& conn, uint32_t channel, uint32_t call_number, PacketType type) const;
    void send_simple(Connection& conn, const Header& h, std::span<const std::byte> body);
    void send_abort(Connection& conn, uint32_t channel, uint32_t call_number, int32_t code);

    // engine.cpp: demultiplexing
    Connection* client_connection_for(const Header& h);
    Connection* server_connection_for(const PeerAddress& from, const Header& h, Clock::time_point now);
    void answer_version(const PeerAddress& from, const Header& h);

    // connection.cpp
    size_t packet_payload(const Connection& conn) const;
    uint32_t jumbo_packets(const Connection& conn) const;
    AckTrailer our_trailer(uint32_t rwind) const;
    void on_challenge(Connection& conn, const Header& h, std::span<const std::byte> body, Clock::time_point now);
    void on_connection_abort(Connection& conn, int32_t code, Clock::time_point now);

    // call_send.cpp
    void pump(Call& call, Clock::time_point now, bool resend_lost_now = false);
    void transmit_batch(Call& call, bool window_limited, Clock::time_point now);
    void on_ack(Connection& conn, const Header& h, std::span<const std::byte> body, Clock::time_point now);
    void on_busy(Connection& conn, const Header& h, Clock::time_point now);
    void on_ackall(Connection& conn, const Header& h, Clock::time_point now);
    void retransmission_timeout(Call& call, Clock::time_point now);
    void after_send_progress(Call& call, Clock::time_point now);

    // call_receive.cpp
    void on_data(Connection& conn, const PacketView& p, Clock::time_point now);
    void on_data_for_server(Connection& conn, const PacketView& p, Clock::time_point now);
    void receive_data(Call& call, const PacketView& p, Clock::time_point now);
    void answer_finished_call(Connection& conn, const Header& h, Clock::time_point now);
    void queue_ack(Call& call, AckReason reason, uint32_t serial);
    void send_ack(Call& call, AckReason reason, uint32_t serial, bool ping, Clock::time_point now);
    void send_bare_ack(Connection& conn, uint32_t channel, uint32_t call_number, uint32_t first_packet,
                       AckReason reason, uint32_t serial);
    void after_read(Call& call, Clock::time_point now);
    void reply_complete(Call& call, Clock::time_point now);
};

}  // namespace afs::rx
