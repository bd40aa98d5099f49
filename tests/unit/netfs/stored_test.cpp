// FileOptions::on_stored, the record a resumable transfer keeps: it reports only data that
// reached every stream, every byte of it once the file is flushed, and never what a
// failed stream has not got.
#include <algorithm>
#include <mutex>

#include "harness.hpp"
#include "netfs/cache/extent_map.hpp"

using namespace testnetfs;

namespace {

// The spans reported, merged; safe to call from collector threads.
struct StoredSpans {
    std::mutex mu;
    netfs::cache::ExtentMap spans;
    void add(uint64_t pos, uint64_t len) {
        std::lock_guard lock(mu);
        spans.add(pos, len);
    }
    bool covers(uint64_t pos) {
        std::lock_guard lock(mu);
        return spans.covers(pos, 1);
    }
};

}  // namespace

TEST_CASE("on_stored reports each span once it is on every stream, and all of them by the flush") {
    for (auto mode : {FakeBackend::Completion::inline_, FakeBackend::Completion::threads}) {
        Harness::Config c;
        c.upload.completion = mode;
        c.upload.max_len = 48 << 10;
        c.upload.content_size = 4 << 20;
        FakeBackend::Options cache;
        cache.kind = netfs::StreamKind::cache;
        cache.completion = mode;
        cache.max_len = 80 << 10;
        cache.content_size = 4 << 20;
        c.cache = cache;
        StoredSpans stored;
        Harness* hp = nullptr;
        const auto first = bytes(3 << 20, 31), second = bytes(100'000, 32);
        std::vector<std::byte> want(first.size() + second.size());
        std::copy(first.begin(), first.end(), want.begin());
        std::copy(second.begin(), second.end(), want.begin() + static_cast<std::ptrdiff_t>(first.size()));
        size_t checked = 0, mismatched = 0;
        c.file.on_stored = [&](uint64_t pos, uint64_t len) {
            // What is reported is already on both "servers", byte for byte.
            const auto up = hp->upload.content();
            const auto ca = hp->cache->content();
            for (uint64_t i = pos; i < pos + len; i += 4093) {
                ++checked;
                if (up[i] != want[i] || ca[i] != want[i]) ++mismatched;
            }
            stored.add(pos, len);
        };
        Harness h(c);
        hp = &h;
        h.upload.fault = [](const netfs::Subrequest& s, uint64_t) {
            return s.retry_count() == 0 && s.index() % 4 == 1
                       ? Fault{Fault::error, std::make_error_code(std::errc::resource_unavailable_try_again)}
                       : Fault{};
        };
        h.write(0, first);
        h.write(3 << 20, second);
        REQUIRE(!h.file->flush());
        h.check_content(h.upload);
        CHECK(checked > 0);
        CHECK(mismatched == 0);
        std::lock_guard lock(stored.mu);
        REQUIRE(stored.spans.to_vector().size() == 1);
        CHECK(stored.spans.to_vector()[0].pos == 0);
        CHECK(stored.spans.prefix() == (3u << 20) + 100'000);
    }
}

TEST_CASE("on_stored never reports what a permanently failed stream did not store") {
    Harness::Config c;
    c.upload.max_len = 64 << 10;
    StoredSpans stored;
    c.file.on_stored = [&](uint64_t pos, uint64_t len) { stored.add(pos, len); };
    Harness h(c);
    bool broken = true;
    h.upload.fault = [&](const netfs::Subrequest& s, uint64_t) {
        return broken && s.start() == (512u << 10) ? Fault{Fault::error, std::make_error_code(std::errc::io_error)}
                                                   : Fault{};
    };
    h.write(0, bytes(1 << 20, 33));
    CHECK(h.file->flush() == std::errc::io_error);
    CHECK(stored.covers(0));
    CHECK(!stored.covers(512u << 10));  // the failed write
    broken = false;
    REQUIRE(!h.file->flush());
    CHECK(stored.covers(512u << 10));   // once it is stored after all
    std::lock_guard lock(stored.mu);
    CHECK(stored.spans.to_vector().size() == 1);
    CHECK(stored.spans.prefix() == 1u << 20);
}
