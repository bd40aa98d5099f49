// The write engine on scripted scenarios: one and two streams, gaps, folio sizes,
// copy-to-cache, streaming writes, write-through, unbuffered writes, writes racing writeback.
#include <algorithm>
#include <thread>

#include "harness.hpp"

using namespace testnetfs;
using netfs::StreamKind;

TEST_CASE("buffered writes reach the server on flush, and only then") {
    Harness::Config c;
    c.file.dirty_background = 1ull << 40;  // no background writeback in this test
    Harness h(c);
    h.write(0, bytes(1'000'000, 1));
    h.write(5'000'000, bytes(123'457, 2));
    CHECK(h.upload.issues().empty());
    CHECK(h.file->size() == 5'123'457);
    CHECK(h.file->blocks() == (5'123'457 + 511) / 512);
    CHECK(h.file->dirty_bytes() > 0);
    REQUIRE(!h.file->flush());
    h.check_content(h.upload);
    CHECK(h.file->dirty_bytes() == 0);
    auto st = h.ctx.stats();
    CHECK(st.streams[0].issued == st.streams[0].completed);
    // Folios past the server's old EOF are zero-filled and sent whole (up to the file size):
    // the tail of [768K, 1M) and the head of the folio holding 5,000,000.
    CHECK(st.streams[0].bytes == (1u << 20) + (5'123'457 - 19 * (256u << 10)));
    // The hole between the two writes was never sent.
    auto mask = h.upload.written_mask();
    CHECK(std::count(mask.begin() + 1'100'000, mask.begin() + 4'900'000, 1) == 0);
    CHECK(!h.file->flush());  // nothing dirty: nothing to do, no error
}

TEST_CASE("subrequests span many small folios and split large ones") {
    SUBCASE("4 KiB folios, 64 KiB subrequests") {
        Harness::Config c;
        c.file.folio_size = 4096;
        c.upload.max_len = 64 << 10;
        Harness h(c);
        h.write(0, bytes(1 << 20, 3));
        REQUIRE(!h.file->flush());
        h.check_content(h.upload);
        auto is = h.upload.issues();
        CHECK(is.size() == 16);
        for (auto& r : is) CHECK(r.len == 64 << 10);
    }
    SUBCASE("1 MiB folios, 48 KiB subrequests that do not align with them") {
        Harness::Config c;
        c.file.folio_size = 1 << 20;
        c.upload.max_len = 48 << 10;
        Harness h(c);
        h.write(0, bytes(3 << 20, 4));
        REQUIRE(!h.file->flush());
        h.check_content(h.upload);
        auto is = h.upload.issues();
        CHECK(is.size() == (3u << 20) / (48u << 10));
        uint64_t expect = 0;
        for (auto& r : is) {
            CHECK(r.start == expect);
            expect += r.len;
        }
        CHECK(expect == 3u << 20);
    }
    SUBCASE("the segment limit ends a subrequest") {
        Harness::Config c;
        c.file.folio_size = 4096;
        c.upload.max_len = 1 << 20;
        c.upload.max_segs = 5;
        Harness h(c);
        h.write(0, bytes(100 * 4096, 5));
        REQUIRE(!h.file->flush());
        h.check_content(h.upload);
        for (auto& r : h.upload.issues()) CHECK(r.len <= 5 * 4096);
    }
}

TEST_CASE("two streams cut different boundaries on the same data, and both complete") {
    Harness::Config c;
    c.file.folio_size = 256 << 10;
    c.upload.max_len = 60 << 10;  // 9P-like
    FakeBackend::Options cache;
    cache.kind = StreamKind::cache;
    cache.max_len = 1 << 20;
    c.cache = cache;
    Harness h(c);
    h.write(0, bytes(4 << 20, 6));
    REQUIRE(!h.file->flush());
    h.check_content(h.upload);
    h.check_content(*h.cache);
    std::set<uint64_t> up_cuts, cache_cuts;
    for (auto& r : h.upload.issues()) up_cuts.insert(r.start + r.len);
    for (auto& r : h.cache->issues()) cache_cuts.insert(r.start + r.len);
    CHECK(h.upload.issues().size() > 4 * h.cache->issues().size());
    std::vector<uint64_t> common;
    std::set_intersection(up_cuts.begin(), up_cuts.end(), cache_cuts.begin(), cache_cuts.end(),
                          std::back_inserter(common));
    CHECK(common.size() < cache_cuts.size());  // most cache cuts fall inside an upload subrequest
    auto st = h.ctx.stats();
    CHECK(st.streams[1].bytes == 4u << 20);
    CHECK(st.folios_ended == 16);
}

TEST_CASE("streams have gaps: holes, streaming folios and copy-to-cache folios") {
    Harness::Config c;
    c.file.folio_size = 64 << 10;
    c.file.remote_size = 10 << 20;  // the server has data: partial folio writes are streaming
    c.upload.max_len = 1 << 20;
    FakeBackend::Options cache;
    cache.kind = StreamKind::cache;
    c.cache = cache;
    Harness h(c);
    // A whole folio, a partial (streaming) folio, then data read from the server that
    // only the cache must store.
    h.write(0, bytes(64 << 10, 7));
    h.write((64 << 10) + 100, bytes(1000, 8));
    auto server_data = bytes(64 << 10, 9);
    h.file->insert_clean(256 << 10, server_data, /*copy_to_cache=*/true);
    REQUIRE(!h.file->flush());
    auto up = h.upload.written_mask();
    auto ca = h.cache->written_mask();
    // Upload: the whole folio and the streaming range; never the cache-only folio.
    CHECK(std::count(up.begin(), up.begin() + (64 << 10), 1) == 64 << 10);
    CHECK(std::count(up.begin() + (64 << 10), up.begin() + (128 << 10), 1) == 1000);
    CHECK(std::count(up.begin() + (256 << 10), up.begin() + (320 << 10), 1) == 0);
    // Cache: the whole folio and the copy-to-cache folio; never the streaming one.
    CHECK(std::count(ca.begin(), ca.begin() + (64 << 10), 1) == 64 << 10);
    CHECK(std::count(ca.begin() + (64 << 10), ca.begin() + (128 << 10), 1) == 0);
    CHECK(std::count(ca.begin() + (256 << 10), ca.begin() + (320 << 10), 1) == 64 << 10);
    auto content = h.cache->content();
    CHECK(std::equal(server_data.begin(), server_data.end(), content.begin() + (256 << 10)));
    // Gaps split the upload stream: three separate subrequests would be wrong; two are right.
    CHECK(h.upload.issues().size() == 2);
}

TEST_CASE("a pass with only copy-to-cache data never starts the upload stream") {
    Harness::Config c;
    FakeBackend::Options cache;
    cache.kind = StreamKind::cache;
    cache.max_len = 1 << 20;
    c.cache = cache;
    c.upload.completion = FakeBackend::Completion::inline_;
    Harness h(c);
    h.upload.begin_error = std::make_error_code(std::errc::permission_denied);  // would fail if called
    h.file->insert_clean(0, bytes(256 << 10, 10), true);
    CHECK(!h.file->flush());
    CHECK(h.upload.issues().empty());
    CHECK(h.cache->issues().size() == 1);
}

TEST_CASE("variable folio sizes in one file") {
    Harness::Config c;
    std::mt19937 rng(11);
    c.file.folio_size_policy = [](uint64_t pos) { return 4096u << ((pos >> 16) % 9); };  // 4 KiB..1 MiB
    c.upload.max_len = 100'000;
    Harness h(c);
    for (int i = 0; i < 40; ++i) h.write(rng() % (8 << 20), bytes(1 + rng() % 300'000, 100 + i));
    REQUIRE(!h.file->flush());
    h.check_content(h.upload);
    CHECK(h.file->nr_folios() > 10);
}

TEST_CASE("unbuffered writes of unaligned spans") {
    Harness::Config c;
    c.upload.max_len = 10'000;
    c.upload.completion = FakeBackend::Completion::threads;
    Harness h(c);
    // Data in the page cache for an overlapping range is written back first and dropped.
    h.write(1000, bytes(50'000, 12));
    for (auto [pos, len] : {std::pair<uint64_t, size_t>{3, 1}, {17, 99'999}, {123'456, 7}, {40'000, 33'333}}) {
        auto data = bytes(len, pos);
        auto r = h.file->write_direct(pos, data);
        REQUIRE(r);
        CHECK(*r == len);
        h.remember(pos, data);
    }
    h.check_content(h.upload);
    CHECK(h.file->size() == 123'456 + 7);
    CHECK(h.file->dirty_bytes() == 0);
    // The page cache holds nothing stale for the range a direct write covered.
    std::vector<std::byte> out(100);
    CHECK(h.file->read_cached(17, out) == 0);
    CHECK(!h.file->flush());
}

TEST_CASE("write-through sends each folio as the copy fills it") {
    Harness::Config c;
    c.file.folio_size = 64 << 10;
    c.upload.max_len = 16 << 10;
    Harness h(c);
    auto data = bytes((1 << 20) + 1000, 13);  // ends in a partial folio
    auto r = h.file->write_through(0, data);
    REQUIRE(r);
    h.remember(0, data);
    // Every full folio is on the server already; the trailing partial one is dirty.
    auto mask = h.upload.written_mask();
    CHECK(std::count(mask.begin(), mask.begin() + (1 << 20), 1) == 1 << 20);
    CHECK(h.file->dirty_bytes() == 64 << 10);
    REQUIRE(!h.file->flush());
    h.check_content(h.upload);
}

TEST_CASE("writes into pages under writeback wait only for those pages") {
    Harness::Config c;
    c.file.folio_size = 64 << 10;
    c.upload.completion = FakeBackend::Completion::manual;
    Harness h(c);
    h.write(0, bytes(256 << 10, 14));
    std::thread flusher([&] { CHECK(!h.file->flush()); });
    REQUIRE(h.upload.wait_pending(4, std::chrono::seconds(10)));
    // Writing beyond the folios under writeback does not wait.
    h.write(1 << 20, bytes(1000, 15));
    // Writing into a folio under writeback waits until that folio's writeback ends.
    std::atomic<bool> done{false};
    std::thread writer([&] {
        h.write(10, bytes(20, 16));
        done = true;
    });
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    CHECK(!done.load());
    while (h.upload.pending() > 0) h.upload.complete_one(h.upload.pending() - 1);  // last first
    writer.join();
    CHECK(done.load());
    flusher.join();
    // The new write is dirty again and goes out with the next flush, with everything else.
    std::thread second([&] { CHECK(!h.file->flush()); });
    while (!h.upload.wait_pending(1, std::chrono::milliseconds(10)) || h.upload.pending()) {
        if (h.upload.pending()) h.upload.complete_one(0);
        if (h.file->dirty_bytes() == 0 && h.upload.pending() == 0) break;
    }
    second.join();
    h.check_content(h.upload);
    CHECK(h.ctx.stats().writeback_waits >= 1);
}

TEST_CASE("boundaries are never crossed") {
    Harness::Config c;
    c.upload.max_len = 1 << 20;
    c.upload.boundary_every = 100'000;
    Harness h(c);
    h.write(0, bytes(1'000'000, 17));
    REQUIRE(!h.file->flush());
    h.check_content(h.upload);
    for (auto& r : h.upload.issues()) CHECK(r.start / 100'000 == (r.start + r.len - 1) / 100'000);
}

TEST_CASE("invalidate and truncate go through writeback first") {
    Harness::Config c;
    Harness h(c);
    h.write(0, bytes(1 << 20, 18));
    REQUIRE(!h.file->invalidate(0, 512 << 10));
    auto mask = h.upload.written_mask();
    CHECK(std::count(mask.begin(), mask.begin() + (512 << 10), 1) == 512 << 10);
    std::vector<std::byte> out(10);
    CHECK(h.file->read_cached(0, out) == 0);           // dropped
    CHECK(h.file->read_cached(600 << 10, out) == 10);  // still cached
    REQUIRE(!h.file->truncate(700 << 10));
    CHECK(h.file->size() == 700u << 10);
    h.model_size = 700 << 10;
    h.check_content(h.upload);  // the data below the new size was written before it was dropped
    CHECK(!h.file->flush());
}

TEST_CASE("stats and trace describe what happened") {
    Harness::Config c;
    c.upload.max_len = 64 << 10;
    Harness h(c);
    h.write(0, bytes(1 << 20, 19));
    REQUIRE(!h.file->flush());
    auto st = h.ctx.stats();
    CHECK(st.streams[0].issued == 16);
    CHECK(st.streams[0].completed == 16);
    CHECK(st.requests == 1);
    CHECK(h.tracer.count(netfs::TraceEvent::sreq_issue) == 16);
    CHECK(h.tracer.count(netfs::TraceEvent::sreq_terminate) == 16);
    CHECK(h.tracer.count(netfs::TraceEvent::request_complete) == 1);
    CHECK(st.to_string(1).find("stream 0 (upload): 16 issued, 16 completed, 0 failed, 0 retried") != std::string::npos);
    netfs::TraceRecord r{netfs::TraceEvent::sreq_issue, 3, 7, 0, 4096, 100, 0, {}};
    CHECK(netfs::to_json(r).find("\"event\":\"sreq_issue\",\"req\":3,\"sreq\":7,\"stream\":0,\"start\":4096") !=
          std::string::npos);
}

TEST_CASE("a Context destroyed right after it was made stops its threads cleanly") {
    // Its collector and flusher threads may not even have started waiting (TSan found a
    // shared stop flag raced here).
    for (int i = 0; i < 50; ++i) {
        netfs::Context ctx;
    }
}
