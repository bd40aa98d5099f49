// Failures and retries: transient errors, short writes, shrinking limits (re-division),
// permanent errors (data stays dirty, the error reaches flush), endless zero-byte writes
// (capped), adapter-requested retries for permission errors (key switching), and cache
// failures (never fail the request).
#include <algorithm>
#include <set>

#include "harness.hpp"

using namespace testnetfs;
using netfs::RetryHint;

namespace {

// Each (request, subrequest, retry count) is issued at most once: nothing is issued twice
// except by the retryer, which raises the retry count.
void check_no_double_issue(const FakeBackend& b) {
    std::set<std::tuple<uint64_t, uint64_t, uint32_t>> seen;
    for (auto& r : b.issues()) CHECK_MESSAGE(seen.insert({r.request, r.sreq, r.retry_count}).second,
                                             "subrequest " << r.sreq << " issued twice at retry " << r.retry_count);
}

std::error_code eagain() { return std::make_error_code(std::errc::resource_unavailable_try_again); }

}  // namespace

TEST_CASE("transient errors are retried until the data lands") {
    for (auto mode : {FakeBackend::Completion::inline_, FakeBackend::Completion::threads}) {
        Harness::Config c;
        c.upload.completion = mode;
        c.upload.max_len = 32 << 10;
        Harness h(c);
        h.upload.fault = [](const netfs::Subrequest& s, uint64_t) {
            return s.retry_count() == 0 && s.index() % 3 == 0 ? Fault{Fault::error, eagain()} : Fault{};
        };
        h.write(0, bytes(2 << 20, 20));
        REQUIRE(!h.file->flush());
        h.check_content(h.upload);
        check_no_double_issue(h.upload);
        auto st = h.ctx.stats();
        CHECK(st.streams[0].retried > 0);
        CHECK(st.retry_passes > 0);
        CHECK(h.upload.retry_requests() > 0);
    }
}

TEST_CASE("short writes are resumed from where they stopped") {
    Harness::Config c;
    c.upload.max_len = 64 << 10;
    Harness h(c);
    h.upload.fault = [](const netfs::Subrequest& s, uint64_t) {
        return s.retry_count() < 2 ? Fault{Fault::short_write, {}, RetryHint::by_error, s.remaining() / 3} : Fault{};
    };
    h.write(0, bytes(1 << 20, 21));
    REQUIRE(!h.file->flush());
    h.check_content(h.upload);
    check_no_double_issue(h.upload);
    CHECK(h.ctx.stats().streams[0].short_writes >= 16);
}

TEST_CASE("spans are re-divided when the limits shrink on retry") {
    Harness::Config c;
    c.upload.max_len = 64 << 10;
    c.upload.shrink_on_retry = 4;  // 64 KiB -> 16 KiB -> 4 KiB
    Harness h(c);
    h.upload.fault = [](const netfs::Subrequest& s, uint64_t) {
        return s.retry_count() == 0 && s.start() >= (256u << 10) && s.start() < (512u << 10)
                   ? Fault{Fault::error, eagain()}
                   : Fault{};
    };
    h.write(0, bytes(1 << 20, 22));
    REQUIRE(!h.file->flush());
    h.check_content(h.upload);
    check_no_double_issue(h.upload);
    // The failed 256 KiB were reissued as pieces within the shrunk limits (each failure
    // has its own retry pass, and each pass shrinks them again), covering exactly the
    // failed range, in more pieces than the four originals.
    uint64_t covered = 0;
    size_t pieces = 0;
    for (auto& r : h.upload.issues()) {
        if (r.retry_count == 0) continue;
        CHECK(r.len <= 16u << 10);
        CHECK(r.start >= 256u << 10);
        CHECK(r.start + r.len <= 512u << 10);
        covered += r.len;
        ++pieces;
    }
    CHECK(covered == 256u << 10);
    CHECK(pieces >= 16);
}

TEST_CASE("a permanent failure reaches flush and leaves the data dirty, never dropped") {
    Harness::Config c;
    c.upload.max_len = 64 << 10;
    Harness h(c);
    bool broken = true;
    h.upload.fault = [&](const netfs::Subrequest& s, uint64_t) {
        return broken && s.start() == (512u << 10) ? Fault{Fault::error, std::make_error_code(std::errc::io_error)}
                                                   : Fault{};
    };
    h.write(0, bytes(1 << 20, 23));
    auto ec = h.file->flush();
    CHECK(ec == std::errc::io_error);
    CHECK(h.file->dirty_bytes() > 0);                       // what failed is still dirty
    CHECK(h.ctx.stats().folios_redirtied > 0);
    CHECK(h.ctx.stats().streams[0].failed >= 1);  // the failed one, and any cancelled after it
    CHECK(h.file->dirty_bytes() > 0);                       // the error is reported once...
    broken = false;
    REQUIRE(!h.file->flush());                              // ...and the data still goes out
    h.check_content(h.upload);
    CHECK(h.file->dirty_bytes() == 0);
}

TEST_CASE("a server that accepts nothing cannot loop us forever") {
    Harness::Config c;
    c.context.max_no_progress = 3;
    Harness h(c);
    h.upload.fault = [](const netfs::Subrequest&, uint64_t) { return Fault{Fault::zero_write, {}, RetryHint::by_error, 0}; };
    h.write(0, bytes(100 << 10, 24));
    auto ec = h.file->flush();
    CHECK(ec == netfs::errc::no_progress);
    CHECK(ec.message() == "the server accepted no data after repeated retries");
    CHECK(h.file->dirty_bytes() > 0);
    h.upload.fault = nullptr;
    REQUIRE(!h.file->flush());
    h.check_content(h.upload);
}

TEST_CASE("a retry cap bounds endless transient errors") {
    Harness::Config c;
    c.context.max_retries = 5;
    Harness h(c);
    h.upload.fault = [](const netfs::Subrequest&, uint64_t) { return Fault{Fault::error, eagain()}; };
    h.write(0, bytes(10 << 10, 25));
    CHECK(h.file->flush() == std::errc::resource_unavailable_try_again);
    for (auto& r : h.upload.issues()) CHECK(r.retry_count <= 5);
}

TEST_CASE("an adapter may ask for a retry of a permission error (another key may work)") {
    Harness::Config c;
    c.upload.max_len = 64 << 10;
    Harness h(c);
    // The first key is refused: the adapter marks the failure retryable, and its
    // retry_request switches keys (here: the next attempt succeeds).
    h.upload.fault = [](const netfs::Subrequest& s, uint64_t) {
        return s.retry_count() == 0 ? Fault{Fault::error, std::make_error_code(std::errc::permission_denied),
                                            RetryHint::retry}
                                    : Fault{};
    };
    h.write(0, bytes(512 << 10, 26));
    REQUIRE(!h.file->flush());
    h.check_content(h.upload);
    CHECK(h.upload.retry_requests() >= 1);
    CHECK(h.ctx.stats().streams[0].retried == 8);
}

TEST_CASE("without the adapter's hint a permission error fails at once") {
    Harness::Config c;
    Harness h(c);
    h.upload.fault = [](const netfs::Subrequest&, uint64_t) {
        return Fault{Fault::error, std::make_error_code(std::errc::permission_denied)};
    };
    h.write(0, bytes(64 << 10, 27));
    CHECK(h.file->flush() == std::errc::permission_denied);
    CHECK(h.upload.retry_requests() == 0);
}

TEST_CASE("when the adapter gives up (no key left), the stream fails with the cause") {
    Harness::Config c;
    Harness h(c);
    h.upload.refuse_retry = true;
    h.upload.fault = [](const netfs::Subrequest&, uint64_t) {
        return Fault{Fault::error, std::make_error_code(std::errc::permission_denied), RetryHint::retry};
    };
    h.write(0, bytes(64 << 10, 28));
    CHECK(h.file->flush() == std::errc::permission_denied);
    CHECK(h.upload.retry_requests() == 1);
    CHECK(h.file->dirty_bytes() > 0);
}

TEST_CASE("an upload stream that cannot start fails the request, the data stays dirty") {
    Harness::Config c;
    Harness h(c);
    h.upload.begin_error = std::make_error_code(std::errc::permission_denied);
    h.write(0, bytes(300 << 10, 29));
    CHECK(h.file->flush() == std::errc::permission_denied);
    CHECK(h.file->dirty_bytes() == h.file->cached_bytes());
    h.upload.begin_error = {};
    REQUIRE(!h.file->flush());
    h.check_content(h.upload);
}

TEST_CASE("a cache failure never fails the upload") {
    Harness::Config c;
    FakeBackend::Options cache;
    cache.kind = netfs::StreamKind::cache;
    c.cache = cache;
    Harness h(c);
    h.cache->fault = [](const netfs::Subrequest&, uint64_t) {
        return Fault{Fault::error, std::make_error_code(std::errc::no_space_on_device)};
    };
    h.write(0, bytes(1 << 20, 30));
    REQUIRE(!h.file->flush());
    h.check_content(h.upload);
    CHECK(h.cache->invalidations() == 1);
    CHECK(h.file->dirty_bytes() == 0);
}

TEST_CASE("direct writes are retried too, and report failures to the caller") {
    Harness::Config c;
    c.upload.max_len = 8 << 10;
    c.upload.completion = FakeBackend::Completion::threads;
    Harness h(c);
    h.upload.fault = [](const netfs::Subrequest& s, uint64_t) {
        return s.retry_count() == 0 && s.index() % 2 ? Fault{Fault::error, eagain()} : Fault{};
    };
    auto data = bytes(200'001, 31);
    auto r = h.file->write_direct(7, data);
    REQUIRE(r);
    CHECK(*r == data.size());
    h.remember(7, data);
    h.check_content(h.upload);
    check_no_double_issue(h.upload);
    h.upload.fault = [](const netfs::Subrequest& s, uint64_t) {
        return s.start() >= 5000 ? Fault{Fault::error, std::make_error_code(std::errc::io_error)} : Fault{};
    };
    auto bad = h.file->write_direct(0, bytes(20'000, 32));
    REQUIRE(!bad);
    CHECK(bad.error() == std::errc::io_error);
}

TEST_CASE("a server that answers every write short is followed to the end, whatever the retry cap") {
    // 9P lets a server write fewer bytes than asked; each such answer moves the data on, so
    // it is not a failure and does not count against max_retries (which bounds errors).
    Harness::Config c;
    c.context.max_retries = 3;
    c.upload.max_len = 64 << 10;
    Harness h(c);
    h.upload.fault = [](const netfs::Subrequest&, uint64_t remaining) {
        return remaining > 1000 ? Fault{Fault::short_write, {}, netfs::RetryHint::by_error, 1000} : Fault{};
    };
    h.write(0, bytes(300 << 10, 41));
    REQUIRE(!h.file->flush());
    h.check_content(h.upload);
}
