// The receiving side of one call: DATA packets put back in order, held until the
// application reads them, and the state an ACK reports.
//
// The queue holds seqs from the next one to read up to `window` ahead. Packets received
// in sequence are hard-acked at once (an ACK's firstPacket): we keep them until read and
// never drop them, so the sender may free them. Flow control is the advertised window
// instead: the slots still free, so the sender (which may send below firstPacket + rwind)
// can never run more than `window` packets ahead of the reader.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "libafs/rx/buffer_pool.hpp"

namespace afs::rx {

enum class Arrival {
    in_order,        // accepted; no gap before it
    out_of_order,    // accepted after a gap
    duplicate,       // already held or already read
    beyond_window,   // too far ahead: dropped
    invalid,         // contradicts what we know (after the last packet, second last...): dropped
};

class ReceiveQueue {
public:
    ReceiveQueue(BufferPool& pool, uint32_t window);
    ~ReceiveQueue();
    ReceiveQueue(const ReceiveQueue&) = delete;
    ReceiveQueue& operator=(const ReceiveQueue&) = delete;

    Arrival insert(uint32_t seq, bool last, std::span<const std::byte> data);

    // Copies in-order data into `out`; returns the bytes copied.
    size_t read(std::span<std::byte> out);
    size_t readable() const { return readable_; }
    // Every packet through the last one has arrived.
    bool complete() const { return last_seq_ != 0 && contiguous_end_ == last_seq_ + 1; }
    // ... and the application read all of it.
    bool at_end() const { return last_seq_ != 0 && next_read_ == last_seq_ + 1; }
    bool started() const { return highest_ != 0; }

    uint32_t next_to_read() const { return next_read_; }
    uint32_t hard_ack_point() const { return contiguous_end_; }
    // The receive window to advertise: slots not taken by packets waiting to be read.
    uint32_t available() const { return window_ - (contiguous_end_ - next_read_); }
    uint32_t highest_received() const { return highest_; }
    uint32_t window() const { return window_; }
    uint64_t packets_received() const { return packets_; }

    // Fills `out` with the acks[] entries that follow hard_ack_point(): one per seq up to
    // the highest received, 1 for held and 0 for missing. Returns the count.
    size_t fill_acks(std::span<std::byte> out) const;

private:
    struct Slot {
        bool present = false;
        size_t consumed = 0;
        std::vector<std::byte> data;
    };
    Slot& slot(uint32_t seq) { return slots_[seq % window_]; }
    const Slot& slot(uint32_t seq) const { return slots_[seq % window_]; }

    BufferPool& pool_;
    uint32_t window_;
    std::vector<Slot> slots_;
    uint32_t next_read_ = 1;       // the packet the application reads next
    uint32_t contiguous_end_ = 1;  // first seq at or after next_read_ that is missing
    uint32_t highest_ = 0;         // highest seq held or read
    uint32_t last_seq_ = 0;        // seq of the LAST_PACKET, 0 while unknown
    size_t readable_ = 0;          // bytes in next_read_ .. contiguous_end_-1 not yet read
    uint64_t packets_ = 0;
};

}  // namespace afs::rx
