// Writeback must make progress when allocation fails: its bookkeeping comes from pools
// whose reserves were set aside up front. This binary replaces the global allocator with
// one that fails on demand and turns failure on for the whole flush, on every thread.
#include <doctest/doctest.h>

#include <atomic>
#include <cstdlib>
#include <new>

#include "fake_backend.hpp"
#include "netfs/file.hpp"

namespace {
std::atomic<bool> g_fail{false};
std::atomic<uint64_t> g_refused{0};

void* allocate(size_t n) {
    if (g_fail.load(std::memory_order_relaxed)) {
        g_refused.fetch_add(1, std::memory_order_relaxed);
        throw std::bad_alloc();
    }
    if (void* p = std::malloc(n ? n : 1)) return p;
    throw std::bad_alloc();
}
}  // namespace

void* operator new(size_t n) { return allocate(n); }
void* operator new[](size_t n) { return allocate(n); }
void* operator new(size_t n, const std::nothrow_t&) noexcept {
    try {
        return allocate(n);
    } catch (...) {
        return nullptr;
    }
}
void* operator new[](size_t n, const std::nothrow_t& t) noexcept { return operator new(n, t); }
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, size_t) noexcept { std::free(p); }
void operator delete[](void* p, size_t) noexcept { std::free(p); }

using namespace testnetfs;

namespace {

struct Run {
    bool shrink_on_retry;
};

void writeback_without_allocation(Run run) {
    netfs::ContextOptions co;
    co.request_reserve = 2;
    co.subrequest_reserve = 6;  // far fewer than the subrequests the flush needs
    co.buffer_chunk_reserve = 4;
    netfs::Context ctx(co);
    FakeBackend::Options bo;
    bo.max_len = 16 << 10;
    bo.completion = FakeBackend::Completion::inline_;
    bo.shrink_on_retry = run.shrink_on_retry ? 16 : 0;  // 16 KiB -> 1 KiB: 16 pieces, 6 objects
    FakeBackend upload(bo);
    if (run.shrink_on_retry) {
        // Retries of shrinking limits need more pieces than objects exist: the carry path.
        upload.fault = [](const netfs::Subrequest& s, uint64_t) {
            return s.retry_count() == 0 && s.index() % 5 == 0
                       ? Fault{Fault::error, std::make_error_code(std::errc::resource_unavailable_try_again)}
                       : Fault{};
        };
    }
    netfs::FileOptions fo;
    fo.streams = {{&upload, 1u << 20}};
    fo.folio_size = 64 << 10;
    fo.dirty_background = 1ull << 40;
    fo.dirty_limit = 1ull << 40;
    netfs::File file(ctx, fo);
    std::vector<std::byte> data(2 << 20);
    for (size_t i = 0; i < data.size(); ++i) data[i] = std::byte(static_cast<uint8_t>(i * 31 + 7));
    REQUIRE(file.write(0, data));

    g_refused = 0;
    g_fail = true;
    const std::error_code ec = file.flush();
    g_fail = false;

    CHECK(!ec);
    auto content = upload.content();
    CHECK(std::equal(data.begin(), data.end(), content.begin()));
    CHECK(file.dirty_bytes() == 0);
    const auto ps = ctx.subrequest_pool_stats();
    CHECK(ps.grown == 0);  // everything came from the reserve set aside up front
    if (run.shrink_on_retry) {
        CHECK(g_refused.load() > 0);     // the pools did try to grow, and were refused
        CHECK(ps.failed_growths > 0);
        CHECK(ctx.stats().streams[0].retried > 0);
    }
    CHECK(ctx.stats().streams[0].completed >= 128);
}

}  // namespace

TEST_CASE("writeback completes with every allocation failing after set-up") {
    writeback_without_allocation({false});
}

TEST_CASE("retries that need more pieces than objects still complete without allocating") {
    writeback_without_allocation({true});
}
