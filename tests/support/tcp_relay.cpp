#include "tcp_relay.hpp"

#include <array>
#include <future>
#include <vector>

#include <asio/connect.hpp>
#include <asio/post.hpp>
#include <asio/write.hpp>

namespace testutil {

namespace {

struct Pipe : std::enable_shared_from_this<Pipe> {
    explicit Pipe(asio::ip::tcp::socket a, asio::io_context& ctx) : left(std::move(a)), right(ctx) {}
    asio::ip::tcp::socket left, right;
    std::array<char, 1 << 16> lbuf{}, rbuf{};

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
    }
};

}  // namespace

struct TcpRelay::Pipes {
    std::vector<std::weak_ptr<Pipe>> live;  // touched only on the relay's thread
};

TcpRelay::TcpRelay(const std::string& listen_address, const std::string& target_host, uint16_t target_port)
    : acceptor_(ctx_, asio::ip::tcp::endpoint(asio::ip::make_address(listen_address), 0)),
      target_(asio::ip::make_address(target_host), target_port) {
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
        auto p = std::make_shared<Pipe>(std::move(s), ctx_);
        pipes_->live.push_back(p);
        ++accepted_;
        p->right.async_connect(target_, [p](std::error_code cec) {
            if (cec) return p->close();
            p->pump(p->left, p->right, p->lbuf);
            p->pump(p->right, p->left, p->rbuf);
        });
        accept();
    });
}

}  // namespace testutil
