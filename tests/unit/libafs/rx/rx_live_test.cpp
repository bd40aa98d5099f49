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
#include <random>
#include <thread>

#include <unistd.h>

#include <asio/executor_work_guard.hpp>
#include <asio/io_context.hpp>
#include <asio/use_future.hpp>

#include "libafs/crypto/keyfile.hpp"
#include "libafs/crypto/rxkad.hpp"
#include "libafs/crypto/token.hpp"
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
    // A fresh UUID per run: a fileserver that knows a UUID from an earlier address first
    // checks that old address (seen: ~620 ms before the first call was answered).
    std::array<uint32_t, 4> uuid = [] {
        std::random_device rd;
        return std::array<uint32_t, 4>{rd(), rd(), rd(), rd()};
    }();

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

void put64(std::vector<std::byte>& v, uint64_t x) {
    put32(v, static_cast<uint32_t>(x >> 32));
    put32(v, static_cast<uint32_t>(x));
}

void put_string(std::vector<std::byte>& v, const std::string& s) {
    put32(v, static_cast<uint32_t>(s.size()));
    for (char c : s) v.push_back(std::byte(static_cast<uint8_t>(c)));
    while (v.size() % 4) v.push_back(std::byte{0});
}

std::byte stream_byte(uint64_t i) { return std::byte(static_cast<uint8_t>((i * 2654435761u) >> 13)); }

uint32_t volume_id(const std::shared_ptr<Connection>& vl, const std::string& name) {
    auto entry = vl->async_call(xdr_string_call(519, name), asio::use_future).get();
    return get32(entry, (65 + 1 + 13 * 3) * 4);
}

// Finds `name` in an AFS directory blob (afs-dir.md): hash chain walk, bounds checked.
std::pair<uint32_t, uint32_t> dir_lookup(const std::vector<std::byte>& dir, const std::string& name) {
    uint32_t h = 0;
    for (unsigned char c : name) h = h * 173 + c;
    uint32_t t = h & 127;
    if (t != 0 && h >= 0x80000000u) t = 128 - t;
    auto u16 = [&](size_t at) { return (std::to_integer<uint32_t>(dir.at(at)) << 8) | std::to_integer<uint32_t>(dir.at(at + 1)); };
    for (uint32_t b = u16(160 + 2 * t), hops = 0; b != 0 && hops < 4096; ++hops) {
        const size_t at = size_t{b} * 32;
        std::string entry;
        for (size_t i = at + 12; i < dir.size() && dir[i] != std::byte{0}; ++i) entry += static_cast<char>(dir[i]);
        if (entry == name) return {get32(dir, at + 4), get32(dir, at + 8)};
        b = u16(at + 2);
    }
    return {0, 0};
}

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

TEST_CASE("StoreData64 and FetchData64 stream 64 MiB through the real fileserver (anonymous, anon-rw)") {
    require_cell();
    Loop loop;
    auto t = make_transport(loop, 30s);
    CallbackService cb;
    t->add_service(1, null_security(), [&cb](std::shared_ptr<Call> call) { cb.serve(std::move(call)); });
    auto vl = t->connect({cell_address, 7003}, 52, null_security());
    auto fs = t->connect({cell_address, 7000}, 1, null_security());
    const uint32_t volume = volume_id(vl, "test");

    // The volume root directory, then "anon-rw" in it.
    auto fetch = [&](uint32_t vnode, uint32_t unique, uint64_t pos, uint64_t len, std::vector<std::byte>& out) {
        std::vector<std::byte> req;
        put32(req, 65537);
        put32(req, volume);
        put32(req, vnode);
        put32(req, unique);
        put64(req, pos);
        put64(req, len);
        auto call = fs->new_call();
        call->async_write(std::span<const std::byte>(req), asio::use_future).get();
        call->async_finish(asio::use_future).get();
        std::array<std::byte, 8> head{};
        REQUIRE(call->async_read(std::span<std::byte>(head), asio::use_future).get() == 8);
        const uint64_t n = (uint64_t{get32({head.begin(), head.end()}, 0)} << 32) | get32({head.begin(), head.end()}, 4);
        out.resize(n);
        REQUIRE(call->async_read(std::span<std::byte>(out), asio::use_future).get() == n);
        std::vector<std::byte> tail(200);
        const size_t rest = call->async_read(std::span<std::byte>(tail), asio::use_future).get();
        CHECK(rest == 84 + 12 + 24);  // AFSFetchStatus, AFSCallBack, AFSVolSync
    };
    std::vector<std::byte> root;
    fetch(1, 1, 0, 1 << 20, root);
    REQUIRE(root.size() >= 2048);
    const auto [dvnode, dunique] = dir_lookup(root, "anon-rw");
    REQUIRE(dvnode != 0);

    // CreateFile anon-rw/NAME, anonymously (system:anyuser has rlidwk there).
    const std::string name = "rx-live-" + std::to_string(::getpid());
    std::vector<std::byte> create;
    put32(create, 137);
    put32(create, volume);
    put32(create, dvnode);
    put32(create, dunique);
    put_string(create, name);
    for (uint32_t w : {8u, 0u, 0u, 0u, 0644u, 0u}) put32(create, w);  // AFSStoreStatus: mode only
    auto created = fs->async_call(create, asio::use_future).get();
    REQUIRE(created.size() == 12 + 84 + 84 + 12 + 24);
    const uint32_t vnode = get32(created, 4), unique = get32(created, 8);

    // StoreData64: 64 MiB in one call, written in 1 MiB pieces.
    const uint64_t total = 64ull << 20;
    std::vector<std::byte> store;
    put32(store, 65538);
    put32(store, volume);
    put32(store, vnode);
    put32(store, unique);
    for (int i = 0; i < 6; ++i) put32(store, 0);  // AFSStoreStatus: nothing to set
    put64(store, 0);
    put64(store, total);
    put64(store, total);
    const auto before = t->stats().engine;
    auto start = std::chrono::steady_clock::now();
    auto call = fs->new_call();
    call->async_write(std::span<const std::byte>(store), asio::use_future).get();
    std::vector<std::byte> chunk(1 << 20);
    for (uint64_t off = 0; off < total; off += chunk.size()) {
        for (size_t i = 0; i < chunk.size(); ++i) chunk[i] = stream_byte(off + i);
        call->async_write(std::span<const std::byte>(chunk), asio::use_future).get();
    }
    call->async_finish(asio::use_future).get();
    std::vector<std::byte> stored(200);
    const size_t n = call->async_read(std::span<std::byte>(stored), asio::use_future).get();
    double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    CHECK(n == 84 + 24);
    stored.resize(n);
    CHECK(get32(stored, 12) == static_cast<uint32_t>(total));  // Length (low word) in the new status
    auto after = t->stats().engine;
    MESSAGE("StoreData64 64 MiB: " << seconds << " s, " << 64 / seconds << " MiB/s; DATA sent "
            << after.data_packets_sent - before.data_packets_sent << ", retransmitted "
            << after.retransmissions - before.retransmissions << ", timeouts " << after.timeouts - before.timeouts);
    auto cs = fs->async_stats(asio::use_future).get();
    MESSAGE("fileserver path: maxMTU " << cs.peer_max_packet << ", rwind " << cs.peer_window << ", jumboMax "
            << cs.peer_jumbo_max << ", cwnd " << cs.congestion_window << ", srtt "
            << (cs.srtt ? std::chrono::duration_cast<std::chrono::microseconds>(*cs.srtt).count() : -1) << " us");
    call.reset();

    // FetchData64 it back into caller buffers and compare.
    start = std::chrono::steady_clock::now();
    std::vector<std::byte> back;
    fetch(vnode, unique, 0, total, back);
    seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    REQUIRE(back.size() == total);
    uint64_t bad = 0;
    for (uint64_t i = 0; i < total; ++i)
        if (back[i] != stream_byte(i)) ++bad;
    CHECK(bad == 0);
    auto after2 = t->stats().engine;
    MESSAGE("FetchData64 64 MiB: " << seconds << " s, " << 64 / seconds << " MiB/s; DATA received "
            << after2.data_packets_received - after.data_packets_received << ", duplicates "
            << after2.duplicates_received - after.duplicates_received << ", jumbograms "
            << after2.jumbograms_received - after.jumbograms_received);

    // RemoveFile.
    std::vector<std::byte> remove;
    put32(remove, 136);
    put32(remove, volume);
    put32(remove, dvnode);
    put32(remove, dunique);
    put_string(remove, name);
    CHECK(fs->async_call(remove, asio::use_future).get().size() == 84 + 24);
    t->close();
}

TEST_CASE("rxkad: CHALLENGE/RESPONSE mid-call with the real servers, and a rejected ticket aborts the connection") {
    require_cell();
    auto keys = crypto::KeyFile::load("/etc/openafs/server/KeyFile");
    if (!keys || keys->empty()) {
        MESSAGE("the cell's KeyFile is not readable here: rxkad case not run");
        return;
    }
    auto token = crypto::mint_localauth_token(*keys);
    REQUIRE(token);
    Loop loop;
    auto t = make_transport(loop, 30s);
    CallbackService cb;
    t->add_service(1, null_security(), [&cb](std::shared_ptr<Call> call) { cb.serve(std::move(call)); });
    for (auto level : {crypto::Level::clear, crypto::Level::auth, crypto::Level::crypt}) {
        CAPTURE(std::string(crypto::to_string(level)));
        auto sec = std::make_shared<crypto::RxkadClient>(*token, level);
        auto vl = t->connect({cell_address, 7003}, 52, sec);
        const auto before = t->stats().engine;
        const auto start = std::chrono::steady_clock::now();
        auto entry = vl->async_call(xdr_string_call(519, "root.cell"), asio::use_future).get();
        const auto took = std::chrono::steady_clock::now() - start;
        CHECK(entry.size() == 476);
        const auto after = t->stats().engine;
        CHECK(after.challenges_received - before.challenges_received == 1);
        CHECK(after.responses_sent - before.responses_sent == 1);
        MESSAGE("VL over rxkad " << std::string(crypto::to_string(level)) << ": challenge answered, call done in "
                                 << std::chrono::duration_cast<std::chrono::milliseconds>(took).count() << " ms, "
                                 << after.retransmissions - before.retransmissions << " retransmissions");
        // A second call on the authenticated connection needs no new challenge.
        CHECK(vl->async_call(xdr_string_call(519, "root.afs"), asio::use_future).get().size() == 476);
        CHECK(t->stats().engine.challenges_received == after.challenges_received);
    }

    // A ticket sealed with a key the server does not have (same kvno): the server rejects
    // the RESPONSE with a connection-level ABORT, and every call on it fails with that code.
    auto bad_key = crypto::random_session_key();
    REQUIRE(bad_key);
    auto wrong = crypto::KeyFile::from_keys({crypto::ServerKey{keys->latest()->kvno, *bad_key}});
    REQUIRE(wrong);
    auto bad_token = crypto::mint_localauth_token(*wrong);
    REQUIRE(bad_token);
    auto bad = t->connect({cell_address, 7003}, 52, std::make_shared<crypto::RxkadClient>(*bad_token, crypto::Level::crypt));
    auto f1 = bad->async_call(xdr_string_call(519, "root.cell"), asio::use_future);
    auto f2 = bad->async_call(xdr_string_call(519, "root.afs"), asio::use_future);
    for (auto* f : {&f1, &f2}) {
        std::error_code ec;
        try {
            f->get();
        } catch (const std::system_error& e) {
            ec = e.code();
        }
        CHECK(ec == abort_error(abort_code::RXKADBADTICKET));
    }
    std::error_code later;
    try {
        bad->async_call(xdr_string_call(519, "root.cell"), asio::use_future).get();
    } catch (const std::system_error& e) {
        later = e.code();
    }
    CHECK(later == abort_error(abort_code::RXKADBADTICKET));
    t->close();
}
