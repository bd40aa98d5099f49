// The hook between packaging and issuing: subrequests are held until a transformer
// supplies their bytes (asynchronously, out of order); retried pieces are transformed
// again; the backend only ever sees transformed data.
#include <deque>
#include <map>
#include <thread>

#include "harness.hpp"

using namespace testnetfs;

namespace {

// XORs with a key on a worker thread, finishing in random order.
class XorTransformer : public netfs::Transformer {
public:
    XorTransformer() : worker_([this] { run(); }) {}
    ~XorTransformer() override {
        {
            std::lock_guard lock(mu_);
            stop_ = true;
        }
        cv_.notify_all();
        worker_.join();
    }
    void transform(netfs::Subrequest& sreq, std::span<const std::span<const std::byte>> plain) override {
        std::vector<std::byte> out;
        for (auto p : plain)
            for (auto b : p) out.push_back(b ^ std::byte{0x5a});
        std::lock_guard lock(mu_);
        buffers_[&sreq] = std::move(out);
        pending_.push_back(&sreq);
        ++transforms_;
        cv_.notify_all();
    }
    void discard(netfs::Subrequest& sreq) override {
        std::lock_guard lock(mu_);
        buffers_.erase(&sreq);
    }
    int transforms() {
        std::lock_guard lock(mu_);
        return transforms_;
    }

private:
    void run() {
        std::mt19937 rng(9);
        std::unique_lock lock(mu_);
        for (;;) {
            cv_.wait(lock, [&] { return stop_ || !pending_.empty(); });
            if (pending_.empty()) return;
            const size_t i = rng() % pending_.size();
            netfs::Subrequest* s = pending_[i];
            pending_.erase(pending_.begin() + static_cast<ptrdiff_t>(i));
            auto& buf = buffers_[s];
            s->set_transformed(buf);
            lock.unlock();
            s->transform_done();
            lock.lock();
        }
    }
    std::mutex mu_;
    std::condition_variable cv_;
    std::map<netfs::Subrequest*, std::vector<std::byte>> buffers_;
    std::deque<netfs::Subrequest*> pending_;
    int transforms_ = 0;
    bool stop_ = false;
    std::thread worker_;
};

}  // namespace

TEST_CASE("subrequests are held until transformed, and retried pieces are transformed again") {
    XorTransformer xf;
    Harness::Config c;
    c.upload.max_len = 16 << 10;
    c.upload.completion = FakeBackend::Completion::threads;
    c.file.transformer = &xf;
    Harness h(c);
    h.upload.fault = [](const netfs::Subrequest& s, uint64_t) {
        return s.retry_count() == 0 && s.index() % 4 == 1
                   ? Fault{Fault::error, std::make_error_code(std::errc::resource_unavailable_try_again)}
                   : Fault{};
    };
    auto data = bytes(1 << 20, 40);
    h.write(0, data);
    REQUIRE(!h.file->flush());
    auto got = h.upload.content();
    for (size_t i = 0; i < data.size(); ++i) {
        if (got[i] != (data[i] ^ std::byte{0x5a})) {
            FAIL("byte " << i << " reached the server untransformed or wrong");
            break;
        }
    }
    const auto st = h.ctx.stats();
    CHECK(st.held_for_transform == st.streams[0].issued + st.streams[0].retried);
    CHECK(xf.transforms() == static_cast<int>(st.streams[0].issued + st.streams[0].retried));
    CHECK(st.streams[0].retried > 0);
}
