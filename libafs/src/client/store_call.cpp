// A StoreData64 call, written straight from the caller's buffers (see split_calls.hpp).
#include <array>

#include "split_calls.hpp"

namespace afs::client::detail {
namespace {

namespace fs = wire::fs;

constexpr size_t reply_size = fs::StatusAndSync::wire_size;

class StoreCall : public std::enable_shared_from_this<StoreCall> {
public:
    StoreCall(std::shared_ptr<rx::Call> call, std::shared_ptr<StoreSource> source, std::function<void(std::error_code)> done)
        : call_(std::move(call)), source_(std::move(source)), done_(std::move(done)) {}

    void start() { write(std::span<const std::byte>(source_->header)); }

private:
    void write(std::span<const std::byte> bytes) {
        call_->async_write(bytes, [self = shared_from_this()](std::error_code ec, size_t) {
            if (ec) return self->finish(ec);
            self->next_piece();
        });
    }

    void next_piece() {
        auto& pieces = source_->pieces;
        while (index_ < pieces.size() && pieces[index_].empty()) ++index_;
        if (index_ < pieces.size()) return write(pieces[index_++]);
        call_->async_finish([self = shared_from_this()](std::error_code ec) {
            if (ec) return self->finish(ec);
            self->read_reply();
        });
    }

    void read_reply() {
        call_->async_read(std::span<std::byte>(reply_), [self = shared_from_this()](std::error_code ec, size_t n) {
            if (ec) return self->finish(ec);
            if (n != reply_size) return self->finish(errc::protocol_violation);
            auto reply = xdr::decode<fs::StoreData64::Reply>(std::span<const std::byte>(self->reply_.data(), n));
            if (!reply) return self->finish(reply.error());
            self->source_->reply = std::move(*reply);
            self->finish({});
        });
    }

    void finish(std::error_code ec) {
        auto done = std::move(done_);
        done_ = nullptr;
        call_.reset();
        if (done) done(ec);
    }

    std::shared_ptr<rx::Call> call_;
    std::shared_ptr<StoreSource> source_;
    std::function<void(std::error_code)> done_;
    size_t index_ = 0;
    std::array<std::byte, reply_size + 1> reply_{};
};

}  // namespace

void store_data64(const std::shared_ptr<rx::Connection>& conn, std::shared_ptr<StoreSource> source,
                  std::function<void(std::error_code)> done) {
    std::make_shared<StoreCall>(conn->new_call(), std::move(source), std::move(done))->start();
}

}  // namespace afs::client::detail
