// The sending side of one call: the data the application wrote, cut into packets, kept
// until the peer acknowledges them for good (hard ack), and the bookkeeping that decides
// what to (re)transmit.
//
// Packets are numbered from 1. A packet can go out once it is full or the application
// finished writing (the last packet may be short or empty). Packets hold plain user data:
// the call seals each transmission afresh (a retransmission or a move to another
// channel must be sealed with the then current call number).
//
// ACKs: seqs below firstPacket are dropped from the queue; acks[] entries mark packets
// soft-acked (still kept: the receiver may drop them) or missing. A packet reported
// missing by three ACKs that were prompted by packets sent after it was (its serial) is
// declared lost and retransmitted (fast retransmit). A retransmission timeout declares
// every outstanding packet lost.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <span>
#include <vector>

#include "libafs/rx/buffer_pool.hpp"

namespace afs::rx {

inline constexpr uint8_t nack_threshold = 3;  // rx_nackThreshold

struct OutgoingPacket {
    uint32_t seq = 0;
    std::vector<std::byte> data;      // user data, not sealed
    size_t limit = 0;                 // user bytes this packet may hold
    std::chrono::steady_clock::time_point sent_at{};
    uint32_t serial = 0;              // serial of the latest transmission
    uint16_t transmissions = 0;
    uint8_t nacks = 0;
    bool closed = false;              // full or finished: may be transmitted
    bool last = false;                // LAST_PACKET
    bool soft_acked = false;
    bool lost = false;                // waiting for retransmission
};

struct SendAckResult {
    uint32_t newly_acked = 0;   // packets hard- or soft-acked by this ACK that were not before
    uint32_t newly_lost = 0;    // packets this ACK pushed over the NACK threshold
    bool advanced = false;      // the hard-ack point moved
    bool ignored = false;       // the ACK acknowledged packets never sent: not used
};

class SendQueue {
public:
    SendQueue(BufferPool& pool, uint32_t capacity_packets);
    ~SendQueue();
    SendQueue(const SendQueue&) = delete;
    SendQueue& operator=(const SendQueue&) = delete;

    // Application side. write() copies as much of `data` as the queue has room for, in
    // packets of `payload` bytes, and returns how much it took.
    size_t write(std::span<const std::byte> data, size_t payload);
    void finish();
    bool finished() const { return finished_; }
    // Bytes write() would take now with packets of `payload` bytes.
    size_t space(size_t payload) const;

    // Transmission side.
    uint32_t first_unacked() const { return base_; }     // the hard-ack point
    uint32_t next_new() const { return next_new_; }      // first seq never sent
    uint32_t end() const { return base_ + static_cast<uint32_t>(packets_.size()); }
    // The packet to transmit next with seq < window_end: the lowest lost one, else the
    // first never sent, if it may go. Null if none.
    OutgoingPacket* next_to_send(uint32_t window_end);
    void mark_sent(OutgoingPacket& p, uint32_t serial, std::chrono::steady_clock::time_point now);
    OutgoingPacket* find(uint32_t seq);

    // Acknowledgements.
    SendAckResult on_ack(uint32_t first_packet, std::span<const std::byte> acks, uint32_t ack_serial);
    // Everything sent is acknowledged (ACKALL, or the reply began).
    void ack_all_sent();
    // Retransmission timeout: every packet sent and not soft-acked is lost. Returns how many.
    uint32_t mark_all_lost();
    // Forget every transmission, to send the call again from seq 1 (after a BUSY on a
    // fresh channel). Only valid while nothing was hard-acked.
    void restart();

    // Packets sent and not acknowledged (lost ones included): the retransmission timer runs.
    bool has_outstanding() const { return (next_new_ - base_) > soft_acked_; }
    // Packets on the wire as far as we know: sent, neither acked nor declared lost.
    // The congestion window limits this number.
    uint32_t in_flight() const { return next_new_ - base_ - soft_acked_ - lost_; }
    // Finished and every packet hard-acked.
    bool all_acked() const { return finished_ && packets_.empty(); }
    bool empty() const { return packets_.empty(); }
    size_t queued_packets() const { return packets_.size(); }
    uint32_t lost_count() const { return lost_; }

private:
    void mark_lost(OutgoingPacket& p);
    OutgoingPacket& at(uint32_t seq) { return packets_[seq - base_]; }
    void pop_front();

    BufferPool& pool_;
    uint32_t capacity_;
    std::deque<OutgoingPacket> packets_;  // seqs base_ .. end()-1
    uint32_t base_ = 1;
    uint32_t next_new_ = 1;
    uint32_t soft_acked_ = 0;   // packets in the queue that are soft-acked
    uint32_t lost_ = 0;         // packets in the queue marked lost
    uint32_t lost_cursor_ = 1;  // no lost packet below this seq
    bool finished_ = false;
};

}  // namespace afs::rx
