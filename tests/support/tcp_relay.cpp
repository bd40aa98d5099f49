#include "tcp_relay.hpp"

#include <array>
#include <deque>
#include <future>
#include <vector>

#include <asio/connect.hpp>
#include <asio/post.hpp>
#include <asio/steady_timer.hpp>
#include <asio/write.hpp>

namespace testutil {

namespace {

// One direction of a delayed pipe: chunks read, each due `delay` after it arrived.
struct DelayedQueue {
    explicit DelayedQueue(asio::io_context& ctx) : timer(ctx) {}
    struct Chunk {
        std::chrono::steady_clock::time_point due;
        std::vector<char> data;
    };
    std::deque<Chunk> chunks;
    asio::steady_timer timer;
    bool writing = false;
};

struct Pipe : std::enable_shared_from_this<Pipe> {
    Pipe(asio::ip::tcp::socket a, asio::io_context& ctx, std::chrono::microseconds d)
        : left(std::move(a)), right(ctx), delay(d), lq(ctx), rq(ctx) {}
    asio::ip::tcp::socket left, right;
    std::array<char, 1 << 16> lbuf{}, rbuf{};
    std::chrono::microseconds delay;
    DelayedQueue lq, rq;  // left-to-right, right-to-left

    void start() {
        if (delay.count() > 0) {
            pump_delayed(left, right, lbuf, lq);
            pump_delayed(right, left, rbuf, rq);
        } else {
            pump(left, right, lbuf);
            pump(right, left, rbuf);
        }
    }

    // Reads on while earlier chunks wait for their time; writes them in order.
    void pump_delayed(asio::ip::tcp::socket& from, asio::ip::tcp::socket& to, std::array<char, 1 << 16>& buf,
                      DelayedQueue& q) {
        from.async_read_some(asio::buffer(buf), [self = shared_from_this(), &from, &to, &buf, &q](std::error_code ec,
                                                                                                 size_t n) {
            if (ec) return self->close();
            q.chunks.push_back({std::chrono::steady_clock::now() + self->delay, std::vector<char>(buf.data(), buf.data() + n)});
            if (!q.writing) self->write_due(to, q);
            self->pump_delayed(from, to, buf, q);
        });
    }
    void write_due(asio::ip::tcp::socket& to, DelayedQueue& q) {
        if (q.chunks.empty()) {
            q.writing = false;
            return;
        }
        q.writing = true;
        q.timer.expires_at(q.chunks.front().due);
        q.timer.async_wait([self = shared_from_this(), &to, &q](std::error_code ec) {
            if (ec) return self->close();
            asio::async_write(to, asio::buffer(q.chunks.front().data), [self, &to, &q](std::error_code wec, size_t) {
                if (wec) return self->close();
                q.chunks.pop_front();
                self->write_due(to, q);
            });
        });
    }

    void pump(asio::ip::tcp::socket& from, asio::ip::tcp::socket& to, std::array<char, 1 << 16>& buf) {
        from.async_read_some(asio::buffer(buf), [self = shared_from_this(), &from, &to, &buf](std::error_code ec,
                                                                                             size_t n) {
            if (ec) return self->close();
            asio::async_write(to, asio::buffer(buf.data(), n), [self, &from, &to, &buf](std::error_code wec, size_t) {
                if (wec) return self->close();
                self->pump(from, to, buf);
            });
        });
    }
    void close() {
        std::error_code ignored;
        left.close(ignored);
        right.close(ignored);
        lq.timer.cancel();
        rq.timer.cancel();
    }
};

}  // namespace

struct TcpRelay::Pipes {
    std::vector<std::weak_ptr<Pipe>> live;  // touched only on the relay's thread
};

TcpRelay::TcpRelay(const std::string& listen_address, const std::string& target_host, uint16_t target_port,
                   std::chrono::microseconds one_way_delay)
    : acceptor_(ctx_, asio::ip::tcp::endpoint(asio::ip::make_address(listen_address), 0)),
      target_(asio::ip::make_address(target_host), target_port), delay_(one_way_delay) {
    port_ = acceptor_.local_endpoint().port();
    pipes_ = std::make_shared<Pipes>();
    accept();
    thread_ = std::thread([this] { ctx_.run(); });
}

TcpRelay::~TcpRelay() {
    ctx_.stop();
    thread_.join();
}

size_t TcpRelay::drop_connections() {
    std::promise<size_t> done;
    asio::post(ctx_, [&] {
        size_t n = 0;
        for (auto& w : pipes_->live)
            if (auto p = w.lock()) {
                p->close();
                ++n;
            }
        pipes_->live.clear();
        done.set_value(n);
    });
    return done.get_future().get();
}

void TcpRelay::accept() {
    acceptor_.async_accept([this](std::error_code ec, asio::ip::tcp::socket s) {
        if (ec) return;
        auto p = std::make_shared<Pipe>(std::move(s), ctx_, delay_);
        pipes_->live.push_back(p);
        ++accepted_;
        p->right.async_connect(target_, [p](std::error_code cec) {
            if (cec) return p->close();
            // No Nagle: a delayed chunk must leave when it is due, not wait for an ack.
            std::error_code ignored;
            p->left.set_option(asio::ip::tcp::no_delay(true), ignored);
            p->right.set_option(asio::ip::tcp::no_delay(true), ignored);
            p->start();
        });
        accept();
    });
}

}  // namespace testutil
