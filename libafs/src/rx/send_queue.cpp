#include "libafs/rx/send_queue.hpp"

#include <algorithm>
#include <cstring>

#include "libafs/rx/ack.hpp"

namespace afs::rx {

namespace {

// Serials wrap around: a is after b if it is less than 2^31 ahead.
bool serial_after(uint32_t a, uint32_t b) { return static_cast<int32_t>(a - b) > 0; }

}  // namespace

SendQueue::SendQueue(BufferPool& pool, uint32_t capacity_packets)
    : pool_(pool), capacity_(std::max<uint32_t>(2, capacity_packets)) {}

SendQueue::~SendQueue() {
    for (auto& p : packets_) pool_.give(std::move(p.data));
}

size_t SendQueue::write(std::span<const std::byte> data, size_t payload) {
    if (finished_ || payload == 0) return 0;
    size_t taken = 0;
    while (taken < data.size()) {
        if (packets_.empty() || packets_.back().closed) {
            if (packets_.size() >= capacity_) break;
            OutgoingPacket p;
            p.seq = end();
            p.data = pool_.take();
            p.limit = payload;
            packets_.push_back(std::move(p));
        }
        OutgoingPacket& tail = packets_.back();
        const size_t n = std::min(data.size() - taken, tail.limit - tail.data.size());
        const size_t old = tail.data.size();
        tail.data.resize(old + n);
        std::memcpy(tail.data.data() + old, data.data() + taken, n);
        taken += n;
        if (tail.data.size() == tail.limit) tail.closed = true;
    }
    return taken;
}

void SendQueue::finish() {
    if (finished_) return;
    finished_ = true;
    // The open tail, or a full one not sent yet, becomes the last packet; otherwise an
    // empty last packet follows (the queue may go one over capacity for it).
    if (!packets_.empty() && packets_.back().transmissions == 0 && packets_.back().seq >= next_new_) {
        packets_.back().closed = true;
        packets_.back().last = true;
        return;
    }
    OutgoingPacket p;
    p.seq = end();
    p.data = pool_.take();
    p.closed = true;
    p.last = true;
    packets_.push_back(std::move(p));
}

size_t SendQueue::space(size_t payload) const {
    if (finished_) return 0;
    size_t n = 0;
    if (!packets_.empty() && !packets_.back().closed) n += packets_.back().limit - packets_.back().data.size();
    if (packets_.size() < capacity_) n += (capacity_ - packets_.size()) * payload;
    return n;
}

OutgoingPacket* SendQueue::find(uint32_t seq) {
    if (seq < base_ || seq >= end()) return nullptr;
    return &at(seq);
}

OutgoingPacket* SendQueue::next_to_send(uint32_t window_end) {
    if (lost_ > 0) {
        lost_cursor_ = std::max(lost_cursor_, base_);
        const uint32_t stop = std::min(window_end, next_new_);
        for (uint32_t s = lost_cursor_; s < stop; ++s) {
            OutgoingPacket& p = at(s);
            if (p.lost) {
                lost_cursor_ = s;
                return &p;
            }
        }
        // Lost packets exist beyond the window only; keep the cursor where the scan stopped.
        lost_cursor_ = std::max(lost_cursor_, stop);
        return nullptr;  // retransmissions come before anything new
    }
    if (next_new_ >= window_end || next_new_ >= end()) return nullptr;
    OutgoingPacket& p = at(next_new_);
    return p.closed ? &p : nullptr;
}

void SendQueue::mark_sent(OutgoingPacket& p, uint32_t serial, std::chrono::steady_clock::time_point now) {
    ++p.transmissions;
    p.serial = serial;
    p.sent_at = now;
    p.nacks = 0;
    if (p.lost) {
        p.lost = false;
        --lost_;
    }
    if (p.seq == next_new_) ++next_new_;
}

void SendQueue::mark_lost(OutgoingPacket& p) {
    if (p.lost) return;
    p.lost = true;
    p.nacks = 0;
    ++lost_;
    if (p.seq < lost_cursor_) lost_cursor_ = p.seq;
}

void SendQueue::pop_front() {
    OutgoingPacket& p = packets_.front();
    if (p.soft_acked) --soft_acked_;
    if (p.lost) --lost_;
    pool_.give(std::move(p.data));
    packets_.pop_front();
    ++base_;
}

SendAckResult SendQueue::on_ack(uint32_t first_packet, std::span<const std::byte> acks, uint32_t ack_serial) {
    SendAckResult r;
    // An ACK for packets we never sent is bogus (or from a previous incarnation).
    if (first_packet > next_new_) {
        r.ignored = true;
        return r;
    }
    while (base_ < first_packet) {
        if (!packets_.front().soft_acked) ++r.newly_acked;
        pop_front();
        r.advanced = true;
    }
    // A hole is evidence of loss only if something after it arrived.
    size_t last_acked = acks.size();
    for (size_t i = acks.size(); i-- > 0;) {
        if (std::to_integer<uint8_t>(acks[i]) == ack_type_ack) {
            last_acked = i;
            break;
        }
    }
    for (size_t i = 0; i < acks.size(); ++i) {
        const uint32_t seq = first_packet + static_cast<uint32_t>(i);
        if (seq < base_) continue;
        if (seq >= next_new_) break;
        OutgoingPacket& p = at(seq);
        if (std::to_integer<uint8_t>(acks[i]) == ack_type_ack) {
            if (!p.soft_acked) {
                p.soft_acked = true;
                ++soft_acked_;
                if (p.lost) {
                    p.lost = false;
                    --lost_;
                }
                ++r.newly_acked;
            }
        } else if (p.soft_acked) {
            // The receiver dropped a packet it had held: send it again.
            p.soft_acked = false;
            --soft_acked_;
            mark_lost(p);
            ++r.newly_lost;
        } else if (!p.lost && p.transmissions > 0 && last_acked < acks.size() && i < last_acked &&
                   ack_serial != 0 && serial_after(ack_serial, p.serial)) {
            if (++p.nacks >= nack_threshold) {
                mark_lost(p);
                ++r.newly_lost;
            }
        }
    }
    return r;
}

void SendQueue::ack_all_sent() {
    while (!packets_.empty() && base_ < next_new_) pop_front();
}

uint32_t SendQueue::mark_all_lost() {
    uint32_t n = 0;
    for (uint32_t s = base_; s < next_new_; ++s) {
        OutgoingPacket& p = at(s);
        if (!p.soft_acked && !p.lost) {
            mark_lost(p);
            ++n;
        }
    }
    return n;
}

void SendQueue::restart() {
    for (auto& p : packets_) {
        p.transmissions = 0;
        p.serial = 0;
        p.nacks = 0;
        p.soft_acked = false;
        p.lost = false;
    }
    soft_acked_ = 0;
    lost_ = 0;
    next_new_ = base_;
    lost_cursor_ = base_;
}

}  // namespace afs::rx
