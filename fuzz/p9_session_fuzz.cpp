// The 9P multiplexer fed hostile replies: requests are submitted, sent, cancelled and
// timed out as the input says, and the rest of the input is the server's byte stream,
// cut into frames as the client's transport does (frame_size() against msize, then
// Session::on_frame()). Every request must complete exactly once, also after fail_all().
#include <fuzzer/FuzzedDataProvider.h>

#include <chrono>
#include <vector>

#include "fuzz_common.hpp"
#include "lib9p/session.hpp"
#include "lib9p/wire.hpp"

namespace {

p9::Message request(uint8_t kind, uint32_t fid) {
    switch (kind % 10) {
        case 0: return p9::Tversion{8192, "9P2000.L"};
        case 1: return p9::Tattach{fid, p9::nofid, "root", "/srv", 0};
        case 2: return p9::Twalk{0, fid, {"a", "b"}};
        case 3: return p9::Tlopen{fid, 0};
        case 4: return p9::Tread{fid, 0, 4096};
        case 5: return p9::Treaddir{fid, 0, 4096};
        case 6: return p9::Tgetattr{fid, 0x3fff};
        case 7: return p9::Tclunk{fid};
        case 8: return p9::Tstatfs{fid};
        default: return p9::Treadlink{fid};
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    FuzzedDataProvider in(data, size);
    using Clock = p9::Session::Clock;
    Clock::time_point now{};
    p9::Session::Options opt;
    opt.msize = in.ConsumeBool() ? 8192 : 256;
    opt.max_in_flight = in.ConsumeIntegralInRange<size_t>(1, 8);
    opt.request_timeout = std::chrono::seconds(in.ConsumeIntegralInRange<int>(0, 3));
    opt.flush_timeout = std::chrono::seconds(2);
    p9::Session s(opt);

    std::vector<int> completions;  // per submit, in order (a completion may run inside submit)
    std::vector<p9::Session::RequestId> ids;
    static const std::byte payload[16] = {};
    std::vector<std::byte> stream;
    bool dead = false;

    const int ops = in.ConsumeIntegralInRange<int>(0, 24);
    for (int i = 0; i < ops && !dead; ++i) {
        switch (in.ConsumeIntegralInRange<int>(0, 5)) {
            case 0: {
                p9::Message m = in.ConsumeBool() ? p9::Message{p9::Twrite{1, 0, p9::Bytes{payload}}}
                                                 : request(in.ConsumeIntegral<uint8_t>(), i + 1);
                const bool readdir = std::holds_alternative<p9::Treaddir>(m);
                completions.push_back(0);
                auto id = s.submit(std::move(m),
                                   [&completions, readdir, n = completions.size() - 1](std::error_code ec,
                                                                                       const p9::Message* reply) {
                                       ++completions[n];
                                       FUZZ_CHECK(ec ? reply == nullptr : true);
                                       if (readdir && reply)
                                           (void)p9::decode_dirents(std::get<p9::Rreaddir>(*reply).data.view);
                                   },
                                   now);
                ids.push_back(id);
                break;
            }
            case 1: (void)s.take_output(); break;
            case 2:
                if (!ids.empty())
                    s.cancel(ids[in.ConsumeIntegralInRange<size_t>(0, ids.size() - 1)],
                             make_error_code(std::errc::operation_canceled), now);
                break;
            case 3:
                now += std::chrono::milliseconds(in.ConsumeIntegralInRange<int>(0, 4000));
                if (s.on_tick(now)) dead = true;
                break;
            case 4: {
                // A chunk of the server's stream, then every whole frame in it.
                auto chunk = in.ConsumeBytes<std::byte>(in.ConsumeIntegralInRange<size_t>(0, 512));
                stream.insert(stream.end(), chunk.begin(), chunk.end());
                size_t pos = 0;
                while (!dead && stream.size() - pos >= 4) {
                    std::span<const std::byte> span(stream.data() + pos, stream.size() - pos);
                    auto fs = p9::frame_size(span, s.msize());
                    if (!fs) {
                        dead = true;
                        break;
                    }
                    if (span.size() < *fs) break;
                    if (s.on_frame(span.first(*fs), now)) dead = true;
                    pos += *fs;
                }
                stream.erase(stream.begin(), stream.begin() + static_cast<std::ptrdiff_t>(pos));
                break;
            }
            default: (void)s.next_deadline(); break;
        }
    }
    s.fail_all(make_error_code(std::errc::connection_reset));
    for (int c : completions) FUZZ_CHECK(c == 1);
    FUZZ_CHECK(s.pending() == 0);
    return 0;
}
