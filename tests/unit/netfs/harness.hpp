// Shared set-up for netfs-core tests: a context, fake backends for the upload and cache
// streams, a file, a model of what the file should contain, and a trace recorder that
// checks the engine's invariants.
#pragma once

#include <doctest/doctest.h>

#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <set>
#include <cstdio>
#include <cstdlib>
#include <tuple>

#include "fake_backend.hpp"
#include "netfs/file.hpp"

namespace testnetfs {

// Records trace events and checks, at the end, that every folio that entered a request
// left it exactly once (ended or redirtied), and that collected_to never went backwards.
class TraceChecker {
public:
    void record(const netfs::TraceRecord& r) {
        std::lock_guard lock(mu_);
        ++counts_[r.event];
        const auto key = std::make_pair(r.request, r.start);
        switch (r.event) {
            case netfs::TraceEvent::folio_start: ++open_[key]; break;
            case netfs::TraceEvent::folio_end:
            case netfs::TraceEvent::folio_redirty:
                if (--open_[key] < 0) double_end_ = true;
                break;
            case netfs::TraceEvent::collect_pass: {
                auto& last = collected_[r.request];
                if (static_cast<uint64_t>(r.value) < last) backwards_ = true;
                last = static_cast<uint64_t>(r.value);
                break;
            }
            default: break;
        }
    }
    void check() {
        std::lock_guard lock(mu_);
        CHECK_MESSAGE(!double_end_, "a folio's writeback ended twice");
        CHECK_MESSAGE(!backwards_, "collected_to went backwards");
        for (auto& [k, v] : open_) CHECK_MESSAGE(v == 0, "folio at " << k.second << " of request " << k.first << " never ended");
    }
    uint64_t count(netfs::TraceEvent e) {
        std::lock_guard lock(mu_);
        return counts_[e];
    }

private:
    std::mutex mu_;
    std::map<std::pair<uint64_t, uint64_t>, int> open_;
    std::map<uint64_t, uint64_t> collected_;
    std::map<netfs::TraceEvent, uint64_t> counts_;
    bool double_end_ = false, backwards_ = false;
};

struct Harness {
    struct Config {
        FakeBackend::Options upload;
        std::optional<FakeBackend::Options> cache;
        netfs::ContextOptions context;
        netfs::FileOptions file;  // its streams are filled in from the backends
        uint64_t upload_in_flight = 32u << 20;
        uint64_t cache_in_flight = 32u << 20;
    };

    explicit Harness(Config c)
        : ctx(c.context), upload(c.upload), cache(c.cache ? std::make_unique<FakeBackend>(*c.cache) : nullptr) {
        const char* tp = std::getenv("NETFS_TRACEPOS");
        const uint64_t trace_pos = tp ? std::strtoull(tp, nullptr, 10) : UINT64_MAX;
        ctx.set_trace([this, trace_pos](const netfs::TraceRecord& r) {
            tracer.record(r);
            if (std::getenv("NETFS_TRACEALL")) std::fprintf(stderr, "    trace %s\n", netfs::to_json(r).c_str());
            else if (trace_pos != UINT64_MAX &&
                ((r.start <= trace_pos && trace_pos < r.start + std::max<uint64_t>(r.len, 1)) ||
                 r.event == netfs::TraceEvent::sreq_fail || r.event == netfs::TraceEvent::request_complete ||
                 r.event == netfs::TraceEvent::request_create))
                std::fprintf(stderr, "    trace %s\n", netfs::to_json(r).c_str());
        });
        c.file.streams = {{&upload, c.upload_in_flight}};
        if (cache) c.file.streams.push_back({cache.get(), c.cache_in_flight});
        file = std::make_unique<netfs::File>(ctx, c.file);
        model.resize(c.upload.content_size);
    }
    ~Harness() {
        file.reset();
        tracer.check();
    }

    void write(uint64_t pos, const std::vector<std::byte>& data) {
        auto r = file->write(pos, data);
        REQUIRE_MESSAGE(r, r.error().message());
        REQUIRE(*r == data.size());
        remember(pos, data);
    }
    void remember(uint64_t pos, const std::vector<std::byte>& data, size_t n = SIZE_MAX) {
        n = std::min(n, data.size());
        std::copy(data.begin(), data.begin() + static_cast<ptrdiff_t>(n), model.begin() + static_cast<ptrdiff_t>(pos));
        if (!unknown.empty()) std::fill(unknown.begin() + static_cast<ptrdiff_t>(pos),
                                        unknown.begin() + static_cast<ptrdiff_t>(pos + n), 0);
        model_size = std::max<uint64_t>(model_size, pos + n);
    }
    // Marks bytes whose server content the test cannot predict (after a failed direct write).
    void forget(uint64_t pos, uint64_t len) {
        if (unknown.empty()) unknown.resize(model.size());
        std::fill(unknown.begin() + static_cast<ptrdiff_t>(pos), unknown.begin() + static_cast<ptrdiff_t>(pos + len), 1);
    }
    bool known(size_t i) const { return unknown.empty() || !unknown[i]; }
    // The server (or cache) holds exactly the model in [0, model_size).
    void check_content(const FakeBackend& b) const {
        auto got = b.content();
        size_t first_bad = SIZE_MAX;
        for (size_t i = 0; i < model_size; ++i)
            if (known(i) && got[i] != model[i]) {
                first_bad = i;
                break;
            }
        CHECK_MESSAGE(first_bad == SIZE_MAX, "content differs from the model at byte " << first_bad);
    }

    TraceChecker tracer;
    netfs::Context ctx;
    FakeBackend upload;
    std::unique_ptr<FakeBackend> cache;
    std::unique_ptr<netfs::File> file;
    std::vector<std::byte> model;
    std::vector<uint8_t> unknown;  // 1: a failed direct write left this byte indeterminate
    uint64_t model_size = 0;
};

// Reads the whole file through its buffered read path, `chunk` bytes per call.
inline std::vector<std::byte> read_all(netfs::File& f, size_t chunk = 1 << 20) {
    std::vector<std::byte> out(f.size());
    for (uint64_t pos = 0; pos < out.size();) {
        auto r = f.read(pos, std::span(out).subspan(pos, std::min<size_t>(chunk, out.size() - pos)));
        REQUIRE_MESSAGE(r, r.error().message());
        REQUIRE(*r > 0);
        pos += *r;
    }
    return out;
}

inline std::vector<std::byte> bytes(size_t n, uint64_t seed) {
    std::vector<std::byte> v(n);
    std::mt19937_64 rng(seed);
    for (auto& b : v) b = std::byte(static_cast<uint8_t>(rng()));
    return v;
}

}  // namespace testnetfs
