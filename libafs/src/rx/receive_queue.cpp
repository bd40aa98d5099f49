#include "libafs/rx/receive_queue.hpp"

#include <algorithm>
#include <cstring>

#include "libafs/rx/ack.hpp"
#include "libafs/rx/packet.hpp"

namespace afs::rx {

ReceiveQueue::ReceiveQueue(BufferPool& pool, uint32_t window)
    : pool_(pool), window_(std::clamp<uint32_t>(window, 1, max_acks)), slots_(window_) {}

ReceiveQueue::~ReceiveQueue() {
    for (auto& s : slots_)
        if (s.present) pool_.give(std::move(s.data));
}

Arrival ReceiveQueue::insert(uint32_t seq, bool last, std::span<const std::byte> data) {
    if (seq == 0) return Arrival::invalid;
    if (last_seq_ != 0 && seq > last_seq_) return Arrival::invalid;
    if (last && last_seq_ != 0 && seq != last_seq_) return Arrival::invalid;
    if (last && seq < highest_) return Arrival::invalid;  // something after "the last" was seen
    if (seq < next_read_) return Arrival::duplicate;
    if (seq - next_read_ >= window_) return Arrival::beyond_window;
    Slot& s = slot(seq);
    if (s.present) return Arrival::duplicate;

    s.present = true;
    s.consumed = 0;
    s.data = pool_.take();
    s.data.assign(data.begin(), data.end());
    ++packets_;
    if (last) last_seq_ = seq;
    highest_ = std::max(highest_, seq);
    if (seq != contiguous_end_) return Arrival::out_of_order;
    while (contiguous_end_ - next_read_ < window_ && slot(contiguous_end_).present &&
           (last_seq_ == 0 || contiguous_end_ <= last_seq_)) {
        readable_ += slot(contiguous_end_).data.size();
        ++contiguous_end_;
    }
    return Arrival::in_order;
}

size_t ReceiveQueue::read(std::span<std::byte> out) {
    size_t copied = 0;
    while (next_read_ < contiguous_end_) {
        Slot& s = slot(next_read_);
        const size_t n = std::min(s.data.size() - s.consumed, out.size() - copied);
        if (n) std::memcpy(out.data() + copied, s.data.data() + s.consumed, n);
        s.consumed += n;
        copied += n;
        readable_ -= n;
        if (s.consumed < s.data.size()) break;  // `out` is full
        s.present = false;
        pool_.give(std::move(s.data));
        s.data = {};
        ++next_read_;
    }
    return copied;
}

size_t ReceiveQueue::fill_acks(std::span<std::byte> out) const {
    const uint32_t first = hard_ack_point();
    if (highest_ < first) return 0;
    const size_t n = std::min<size_t>({static_cast<size_t>(highest_ - first) + 1, out.size(), window_});
    for (size_t i = 0; i < n; ++i) {
        const uint32_t seq = first + static_cast<uint32_t>(i);
        out[i] = std::byte(slot(seq).present ? ack_type_ack : ack_type_nack);
    }
    return n;
}

}  // namespace afs::rx
