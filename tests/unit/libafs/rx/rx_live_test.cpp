// The Rx transport against a real OpenAFS 1.8.9 cell (fixtures/openafs), if one is
// running on 127.1.0.1; otherwise every case exits 77 ("skipped"). It never starts a
// cell: that takes root and wipes system paths (see fixtures/openafs/README.md).
//
// What it proves: a VL call and its abort codes, the fileserver's reachability PING
// answered before the first FS call, the fileserver's callback calls served on the same
// socket (TellMeAboutYourself, WhoAreYou, InitCallBackState3...), and that the first FS
// call does not stall.
#include <doctest/doctest.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <future>
#include <map>
#include <mutex>
#include <thread>

#include <asio/executor_work_guard.hpp>
#include <asio/io_context.hpp>
#include <asio/use_future.hpp>

#include "libafs/rx/null_security.hpp"
#include "libafs/rx/transport.hpp"

using namespace afs;
using namespace afs::rx;
using namespace std::chrono_literals;

namespace {

const asio::ip::address cell_address = asio::ip::make_address("127.1.0.1");

void put32(std::vector<std::byte>& v, uint32_t x) {
    for (int i = 3; i >= 0; --i) v.push_back(std::byte(static_cast<uint8_t>(x >> (8 * i))));
}

uint32_t get32(const std::vector<std::byte>& v, size_t at) {
    uint32_t x = 0;
    for (size_t i = 0; i < 4; ++i) x = (x << 8) | std::to_integer<uint32_t>(v.at(at + i));
    return x;
}

std::vector<std::byte> xdr_string_call(uint32_t opcode, const std::string& s) {
    std::vector<std::byte> v;
    put32(v, opcode);
    put32(v, static_cast<uint32_t>(s.size()));
    for (char c : s) v.push_back(std::byte(static_cast<uint8_t>(c)));
    while (v.size() % 4) v.push_back(std::byte{0});
    return v;
}

struct Loop {
    asio::io_context io;
    asio::executor_work_guard<asio::io_context::executor_type> work = asio::make_work_guard(io);
    std::thread thread{[this] { io.run(); }};
    ~Loop() {
        work.reset();
        io.stop();
        thread.join();
    }
};

std::shared_ptr<Transport> make_transport(Loop& loop, Clock::duration dead = 12s) {
    TransportOptions o;
    o.engine.dead_time = dead;
    auto t = Transport::create(loop.io.get_executor(), o);
    REQUIRE(t);
    return *t;
}

// Skips the case (exit 77) unless a vlserver answers a call within a few seconds.
void require_cell() {
    static int state = -1;
    if (state < 0) {
        Loop loop;
        auto t = make_transport(loop, 3s);
        auto conn = t->connect({cell_address, 7003}, 52, null_security());
        auto f = conn->async_call(xdr_string_call(519, "root.cell"), asio::use_future);
        std::error_code ec;
        try {
            f.get();
        } catch (const std::system_error& e) {
            ec = e.code();
        }
        state = ec == errc::peer_dead || ec == errc::not_connected ? 0 : 1;
        t->close();
    }
    if (state == 0) {
        std::fprintf(stderr, "no OpenAFS cell answers on 127.1.0.1:7003: skipped\n");
        std::exit(77);
    }
}

// The minimal callback service a fileserver needs from a client.
struct CallbackService {
    std::mutex mutex;
    std::map<uint32_t, int> seen;  // opcode -> count
    std::array<uint32_t, 4> uuid{0x6e657463, 0x70727831, 0x2d746573, 0x74000001};

    std::vector<std::byte> interface_addr() const {
        std::vector<std::byte> v;
        put32(v, 1);  // numberOfInterfaces
        for (int i = 0; i < 11; ++i) put32(v, i < 4 ? uuid[static_cast<size_t>(i)] : 0);
        for (int i = 0; i < 32; ++i) put32(v, i == 0 ? 0x7f000001 : 0);  // addr_in
        for (int i = 0; i < 32; ++i) put32(v, i == 0 ? 0xff000000 : 0);  // subnetmask
        for (int i = 0; i < 32; ++i) put32(v, i == 0 ? 1500 : 0);        // mtu
        return v;
    }

    void serve(std::shared_ptr<Call> call) {
        auto buf = std::make_shared<std::vector<std::byte>>(4096);
        call->async_read(std::span<std::byte>(*buf), [this, call, buf](std::error_code ec, size_t n) {
            if (ec || n < 4) return call->abort(abort_code::RXGEN_SS_UNMARSHAL);
            buf->resize(n);
            const uint32_t op = get32(*buf, 0);
            {
                std::lock_guard lock(mutex);
                ++seen[op];
            }
            auto reply = std::make_shared<std::vector<std::byte>>();
            switch (op) {
                case 65538:  // TellMeAboutYourself: interfaceAddr, Capabilities<> (no ERRORTRANS)
                    *reply = interface_addr();
                    put32(*reply, 1);
                    put32(*reply, 0);
                    break;
                case 212:  // WhoAreYou
                    *reply = interface_addr();
                    break;
                case 204: case 205: case 206: case 213: case 214:  // CallBack, InitCallBackState(3), Probe(Uuid)
                    break;
                default:
                    return call->abort(abort_code::RXGEN_OPCODE);
            }
            call->async_write(std::span<const std::byte>(*reply), [call, reply](std::error_code wec, size_t) {
                if (wec) return;
                call->async_finish([call](std::error_code) {});
            });
        });
    }
};

}  // namespace

TEST_CASE("VL GetEntryByNameN against the cell's vlserver, rxnull") {
    require_cell();
    Loop loop;
    auto t = make_transport(loop);
    auto conn = t->connect({cell_address, 7003}, 52, null_security());
    const auto start = std::chrono::steady_clock::now();
    auto reply = conn->async_call(xdr_string_call(519, "root.cell"), asio::use_future).get();
    const auto took = std::chrono::steady_clock::now() - start;
    MESSAGE("GetEntryByNameN(root.cell): " << reply.size() << " bytes in "
            << std::chrono::duration_cast<std::chrono::microseconds>(took).count() << " us");
    REQUIRE(reply.size() == 476);  // nvldbentry
    std::string name;
    for (size_t i = 0; i < 65; ++i) {
        const char c = static_cast<char>(get32(reply, 4 * i));
        if (!c) break;
        name += c;
    }
    CHECK(name == "root.cell");
    const uint32_t n_servers = get32(reply, 65 * 4);
    CHECK(n_servers == 1);
    CHECK(get32(reply, 66 * 4) == 0x7f010001);  // serverNumber[0]: 127.1.0.1
    const uint32_t rw_id = get32(reply, (65 + 1 + 13 * 3) * 4);
    MESSAGE("root.cell RW volume id " << rw_id);
    CHECK(rw_id >= 536870912u);

    // A name the VLDB does not have: an ABORT with VL_NOENT.
    std::error_code ec;
    try {
        conn->async_call(xdr_string_call(519, "no.such.volume"), asio::use_future).get();
    } catch (const std::system_error& e) {
        ec = e.code();
    }
    CHECK(ec == abort_error(abort_code::VL_NOENT));
    // An opcode the vlserver does not know.
    std::vector<std::byte> bogus;
    put32(bogus, 99999);
    try {
        conn->async_call(bogus, asio::use_future).get();
        ec = {};
    } catch (const std::system_error& e) {
        ec = e.code();
    }
    CHECK(ec == abort_error(abort_code::RXGEN_OPCODE));

    // Many calls in parallel on one connection: 4 channels, the rest wait their turn.
    std::vector<std::future<std::vector<std::byte>>> many;
    for (int i = 0; i < 20; ++i) many.push_back(conn->async_call(xdr_string_call(519, "root.afs"), asio::use_future));
    for (auto& f : many) CHECK(f.get().size() == 476);
    auto st = conn->async_stats(asio::use_future).get();
    MESSAGE("peer maxMTU " << st.peer_max_packet << ", rwind " << st.peer_window << ", jumboMax " << st.peer_jumbo_max
            << ", srtt " << (st.srtt ? std::chrono::duration_cast<std::chrono::microseconds>(*st.srtt).count() : -1)
            << " us");
    auto ts = t->stats();
    CHECK(ts.engine.calls_succeeded == 21);
    CHECK(ts.engine.calls_failed == 2);
    t->close();
}

TEST_CASE("FS GetCapabilities: the reachability PING and the callback calls are served, no stall") {
    require_cell();
    Loop loop;
    auto t = make_transport(loop, 30s);
    CallbackService cb;
    t->add_service(1, null_security(), [&cb](std::shared_ptr<Call> call) { cb.serve(std::move(call)); });
    auto fs = t->connect({cell_address, 7000}, 1, null_security());
    std::vector<std::byte> req;
    put32(req, 65540);  // GetCapabilities
    const auto start = std::chrono::steady_clock::now();
    auto reply = fs->async_call(req, asio::use_future).get();
    const auto took = std::chrono::steady_clock::now() - start;
    MESSAGE("GetCapabilities: " << reply.size() << " bytes in "
            << std::chrono::duration_cast<std::chrono::milliseconds>(took).count() << " ms");
    REQUIRE(reply.size() >= 8);
    const uint32_t count = get32(reply, 0);
    CHECK(count >= 1);
    MESSAGE("capabilities word 0: 0x" << std::hex << get32(reply, 4));
    CHECK(took < 5s);
    auto ts = t->stats();
    MESSAGE("pings answered " << ts.engine.ping_responses_sent << ", incoming calls " << ts.engine.incoming_calls
                              << ", retransmissions " << ts.engine.retransmissions);
    {
        std::lock_guard lock(cb.mutex);
        for (auto& [op, n] : cb.seen) MESSAGE("callback opcode " << op << " x" << n);
    }

    // FetchStatus of root.cell's root directory (anonymous may look: system:anyuser rl).
    auto vl = t->connect({cell_address, 7003}, 52, null_security());
    auto entry = vl->async_call(xdr_string_call(519, "root.cell"), asio::use_future).get();
    const uint32_t volume = get32(entry, (65 + 1 + 13 * 3) * 4);
    std::vector<std::byte> fetch;
    put32(fetch, 132);
    put32(fetch, volume);
    put32(fetch, 1);
    put32(fetch, 1);
    const auto s2 = std::chrono::steady_clock::now();
    auto status = fs->async_call(fetch, asio::use_future).get();
    MESSAGE("FetchStatus: " << status.size() << " bytes in "
            << std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - s2).count()
            << " us");
    REQUIRE(status.size() == 30 * 4);
    CHECK(get32(status, 4) == 2);  // FileType: directory
    t->close();
}
