// A FetchData64 call, read straight into the caller's buffers (see split_calls.hpp).
#include <algorithm>
#include <array>

#include "split_calls.hpp"

namespace afs::client::detail {
namespace {

namespace fs = wire::fs;

// StatusCallBackAndSync, plus one byte to notice a reply that goes on.
constexpr size_t trailer_size = fs::StatusCallBackAndSync::wire_size;

class FetchCall : public std::enable_shared_from_this<FetchCall> {
public:
    FetchCall(std::shared_ptr<rx::Call> call, std::shared_ptr<FetchTarget> target, std::function<void(std::error_code)> done)
        : call_(std::move(call)), target_(std::move(target)), done_(std::move(done)) {}

    void start() {
        target_->bytes = 0;
        call_->async_write(std::span<const std::byte>(target_->request),
                           [self = shared_from_this()](std::error_code ec, size_t) {
                               if (ec) return self->finish(ec);
                               self->call_->async_finish([self](std::error_code ec2) {
                                   if (ec2) return self->finish(ec2);
                                   self->read_count();
                               });
                           });
    }

private:
    void read_count() {
        call_->async_read(std::span<std::byte>(count_), [self = shared_from_this()](std::error_code ec, size_t n) {
            if (ec) return self->finish(ec);
            if (n != self->count_.size()) return self->finish(errc::protocol_violation);
            auto count = fs::decode_fetch_data64_length(self->count_, static_cast<int64_t>(self->target_->requested));
            if (!count) return self->finish(count.error());
            self->expected_ = *count;
            self->read_data();
        });
    }

    void read_data() {
        if (got_ == expected_) return read_trailer();
        auto& buffers = target_->buffers;
        while (index_ < buffers.size() && offset_ == buffers[index_].size()) {
            ++index_;
            offset_ = 0;
        }
        if (index_ == buffers.size()) return finish(errc::protocol_violation);  // cannot happen: count <= total
        const size_t want = static_cast<size_t>(std::min<uint64_t>(buffers[index_].size() - offset_, expected_ - got_));
        call_->async_read(buffers[index_].subspan(offset_, want),
                          [self = shared_from_this(), want](std::error_code ec, size_t n) {
                              if (ec) return self->finish(ec);
                              // The stream ended before the count the server announced.
                              if (n != want) return self->finish(errc::protocol_violation);
                              self->got_ += n;
                              self->offset_ += n;
                              self->target_->bytes = self->got_;
                              self->read_data();
                          });
    }

    void read_trailer() {
        call_->async_read(std::span<std::byte>(trailer_), [self = shared_from_this()](std::error_code ec, size_t n) {
            if (ec) return self->finish(ec);
            if (n != trailer_size) return self->finish(errc::protocol_violation);
            auto reply = xdr::decode<fs::FetchData64::Reply>(std::span<const std::byte>(self->trailer_.data(), n));
            if (!reply) return self->finish(reply.error());
            self->target_->reply = std::move(*reply);
            self->finish({});
        });
    }

    void finish(std::error_code ec) {
        auto done = std::move(done_);
        done_ = nullptr;
        call_.reset();  // frees the channel (an unfinished call is aborted)
        if (done) done(ec);
    }

    std::shared_ptr<rx::Call> call_;
    std::shared_ptr<FetchTarget> target_;
    std::function<void(std::error_code)> done_;
    std::array<std::byte, 8> count_{};
    std::array<std::byte, trailer_size + 1> trailer_{};
    uint64_t expected_ = 0, got_ = 0;
    size_t index_ = 0, offset_ = 0;
};

}  // namespace

void fetch_data64(const std::shared_ptr<rx::Connection>& conn, std::shared_ptr<FetchTarget> target,
                  std::function<void(std::error_code)> done) {
    std::make_shared<FetchCall>(conn->new_call(), std::move(target), std::move(done))->start();
}

}  // namespace afs::client::detail
