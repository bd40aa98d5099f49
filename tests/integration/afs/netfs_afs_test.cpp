// netfs-core over AFS against the real cell: uploads through netfs::File with the AFS
// write backend and downloads through its read backend.
//
//  - a directory whose ACL lets only the second key write: writeback starts with the first,
//    is refused, switches, and the file lands byte for byte; later requests start with
//    the key that worked;
//  - every key refused: flush fails with the server's error, the backend's message names the
//    file and every key, and nothing is reported written;
//  - a ticket that expires in the middle of an upload: the fresh key takes over; the same
//    with Kerberos 5 tickets from the cell's KDC (a short kinit, then a keytab), and with no
//    other key: a clear error, nothing reported written;
//  - 256 MiB buffered and direct, up and down, with identical SHA-256 (smaller under
//    sanitizers, or NETCP_AFS_NETFS_MIB);
//  - the volume taken offline mid-upload: the budget shrinks, the upload completes;
//  - the remote-file helpers: create/open/stat/truncate with key fallback, cache key and
//    coherency.
#include <doctest/doctest.h>
#include <openssl/evp.h>

#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <memory>
#include <mutex>
#include <thread>

#include "afs_cell.hpp"
#include "libafs/krb5/service_ticket.hpp"
#include "libafs/netfs/read_backend.hpp"
#include "libafs/netfs/remote_file.hpp"
#include "libafs/netfs/write_backend.hpp"
#include "netfs/file.hpp"

using namespace afs;
using namespace afs::client;
using afs::netfs::AfsReadBackend;
using afs::netfs::AfsWriteBackend;
using afs::netfs::RemoteFile;
using afstest::AfsCell;
using namespace std::chrono_literals;

namespace {

constexpr uint64_t MiB = 1u << 20;

// ---- test data: a pattern any range of which can be made again, and hashed as a stream ----

uint64_t mix(uint64_t x) {
    x += 0x9e3779b97f4a7c15ull;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
    return x ^ (x >> 31);
}

// The bytes of pattern `seed` at [pos, pos + dst.size()).
void fill_pattern(uint64_t seed, uint64_t pos, std::span<std::byte> dst) {
    for (size_t i = 0; i < dst.size();) {
        const uint64_t at = pos + i;
        const uint64_t word = mix(seed ^ (at / 8));
        for (unsigned b = static_cast<unsigned>(at % 8); b < 8 && i < dst.size(); ++b, ++i)
            dst[i] = static_cast<std::byte>(word >> (8 * b));
    }
}

using testutil::Sha256;

std::string pattern_sha(uint64_t seed, uint64_t size) {
    Sha256 h;
    std::vector<std::byte> buf(4 * MiB);
    for (uint64_t pos = 0; pos < size; pos += buf.size()) {
        const size_t n = static_cast<size_t>(std::min<uint64_t>(buf.size(), size - pos));
        fill_pattern(seed, pos, std::span<std::byte>(buf.data(), n));
        h.update(std::span<const std::byte>(buf.data(), n));
    }
    return h.hex();
}

double seconds_since(std::chrono::steady_clock::time_point t0) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

// The size of the big round trips: 256 MiB, less under sanitizers (they slow fcrypt and
// the copies several times over), or what NETCP_AFS_NETFS_MIB says.
uint64_t big_size() {
    if (const char* e = std::getenv("NETCP_AFS_NETFS_MIB"); e && *e) return std::strtoull(e, nullptr, 10) * MiB;
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
    return 96 * MiB;
#else
    return 256 * MiB;
#endif
}

// ---- netfs plumbing --------------------------------------------------------------------

::netfs::FileOptions upload_options(AfsWriteBackend& w) {
    ::netfs::FileOptions fo;
    fo.streams = {{&w, w.max_in_flight_bytes()}};
    fo.folio_size = 256u << 10;
    fo.dirty_background = 4 * MiB;
    fo.dirty_limit = 64 * MiB;
    fo.cache_limit = 16 * MiB;
    return fo;
}

// Buffered writes of pattern `seed` over [from, to), 1 MiB at a time, as netcp does.
void write_pattern(::netfs::File& f, uint64_t seed, uint64_t from, uint64_t to) {
    const ::netfs::File::Filler fill = [seed](uint64_t pos, std::span<std::byte> dst) {
        fill_pattern(seed, pos, dst);
        return std::error_code{};
    };
    for (uint64_t pos = from; pos < to;) {
        auto r = f.write_from(pos, std::min<uint64_t>(MiB, to - pos), fill);
        REQUIRE_MESSAGE(r, r.error().message());
        pos += *r;
    }
}

// Direct writes of pattern `seed`, 4 MiB requests with 4 in flight (netcp --direct).
std::error_code write_pattern_direct(::netfs::File& f, uint64_t seed, uint64_t size) {
    constexpr size_t window = 4, chunk = 4 * MiB;
    std::vector<std::vector<std::byte>> bufs(window, std::vector<std::byte>(chunk));
    std::vector<bool> busy(window, false);
    std::mutex m;
    std::condition_variable cv;
    std::error_code first;
    size_t out = 0;
    for (uint64_t pos = 0; pos < size;) {
        size_t slot = 0;
        {
            std::unique_lock lock(m);
            cv.wait(lock, [&] { return out < window; });
            if (first) break;
            while (busy[slot]) ++slot;
            busy[slot] = true;
            ++out;
        }
        const size_t n = static_cast<size_t>(std::min<uint64_t>(chunk, size - pos));
        fill_pattern(seed, pos, std::span<std::byte>(bufs[slot].data(), n));
        f.write_direct_async(pos, std::span<const std::byte>(bufs[slot].data(), n),
                             [&, slot, n](std::error_code ec, uint64_t written) {
                                 std::lock_guard lock(m);
                                 if (!ec && written != n) ec = std::make_error_code(std::errc::io_error);
                                 if (ec && !first) first = ec;
                                 busy[slot] = false;
                                 --out;
                                 cv.notify_all();
                             });
        pos += n;
    }
    std::unique_lock lock(m);
    cv.wait(lock, [&] { return out == 0; });
    return first;
}

// Reads the whole file through netfs's buffered reads with the AFS read backend; returns
// its SHA-256.
std::string download_sha(::netfs::Context& ctx, AfsReadBackend& r, uint64_t size) {
    ::netfs::FileOptions fo;
    fo.reader = &r;
    fo.remote_size = size;
    fo.folio_size = 1u << 20;
    fo.readahead_max = 16 * MiB;
    fo.cache_limit = 64 * MiB;
    ::netfs::File f(ctx, fo);
    Sha256 h;
    std::vector<std::byte> buf(MiB);
    uint64_t pos = 0;
    for (;;) {
        auto n = f.read(pos, buf);
        REQUIRE_MESSAGE(n, "reading at " << pos << ": " << n.error().message() << " / " << r.failure());
        if (*n == 0) break;
        h.update(std::span<const std::byte>(buf.data(), *n));
        pos += *n;
    }
    CHECK(pos == size);
    return h.hex();
}

struct Cell {
    const AfsCell& cell = AfsCell::get();
    std::unique_ptr<BlockingClient> client = cell.client();
    ::netfs::Context ctx;
};

RemoteFile created(BlockingClient& c, const std::vector<Identity>& keys, const std::string& path) {
    auto f = afs::netfs::create_file(c, keys, path);
    REQUIRE_MESSAGE(f, f.error().message());
    return *f;
}

std::unique_ptr<AfsWriteBackend> writer(BlockingClient& c, const RemoteFile& f, std::vector<Identity> keys,
                                        afs::netfs::WriteOptions o = {}) {
    if (o.name.empty()) o.name = f.path;
    o.budget = afs::netfs::budget_for(AfsCell::get().options());
    auto w = AfsWriteBackend::create(c.client(), f.ref, std::move(keys), std::move(o));
    REQUIRE(w);
    return std::move(*w);
}

std::unique_ptr<AfsReadBackend> reader(BlockingClient& c, const RemoteFile& f, std::vector<Identity> keys) {
    afs::netfs::ReadOptions o;
    o.name = f.path;
    auto r = AfsReadBackend::create(c.client(), f.ref, std::move(keys), o);
    REQUIRE(r);
    return std::move(*r);
}

}  // namespace

TEST_CASE("writeback refused for the first key switches to the second and lands byte for byte") {
    Cell t;
    const auto alice = t.cell.user("alice", crypto::Level::crypt);
    const auto bob = t.cell.user("bob", crypto::Level::crypt);
    const std::vector<Identity> keys{alice, bob};
    const std::string path = t.cell.bob_only_dir + "/" + AfsCell::unique_name("switch");
    // The helper tries alice first too: refused, bob creates it.
    const RemoteFile f = created(*t.client, keys, path);
    CHECK(f.key == 1);
    auto w = writer(*t.client, f, keys);  // no prefer_key: writeback must find bob itself
    const uint64_t size = 24 * MiB, seed = 1;
    {
        ::netfs::File file(t.ctx, upload_options(*w));
        write_pattern(file, seed, 0, 16 * MiB);
        const auto ec = file.flush();
        REQUIRE_MESSAGE(!ec, ec.message() << ": " << w->failure());
        const auto s = w->stats();
        MESSAGE(s.to_string());
        CHECK(s.keys[0].refused >= 1);
        CHECK(s.keys[0].refusal == std::errc::permission_denied);
        CHECK(s.keys[0].bytes == 0);
        CHECK(s.keys[1].bytes == 16 * MiB);
        CHECK(s.refused >= 1);
        CHECK(s.key_switches >= 1);
        CHECK(s.keys_exhausted == 0);
        CHECK(w->key_in_use() == 1);
        const auto n = t.ctx.stats();
        CHECK(n.retry_passes >= 1);
        CHECK(n.streams[0].retried >= 1);
        CHECK(n.streams[0].failed == 0);
        CHECK(n.streams[0].bytes == 16 * MiB);

        // Later requests start with bob: no refusal, no switch.
        write_pattern(file, seed, 16 * MiB, size);
        const auto ec2 = file.flush();
        REQUIRE_MESSAGE(!ec2, ec2.message() << ": " << w->failure());
        const auto s2 = w->stats();
        CHECK(s2.refused == s.refused);
        CHECK(s2.key_switches == s.key_switches);
        CHECK(s2.keys[1].bytes == size);
    }
    auto st = afs::netfs::stat_file(*t.client, keys, f);
    REQUIRE_MESSAGE(st, st.error().message());
    CHECK(st->size() == size);
    CHECK(w->last_status().has_value());
    CHECK(w->last_status()->data_version() == st->status.data_version());
    // Read back as [anonymous, alice]: anonymous may only list here (refused), alice reads.
    auto r = reader(*t.client, f, {anonymous(), alice});
    CHECK(download_sha(t.ctx, *r, size) == pattern_sha(seed, size));
    const auto rs = r->stats();
    CHECK(rs.refused >= 1);
    CHECK(rs.key_switches >= 1);
    CHECK(rs.failed == 0);
    REQUIRE(t.client->remove_file(bob, path));
}

TEST_CASE("every key refused: flush fails with a clear error naming them, nothing is reported written") {
    Cell t;
    const auto alice = t.cell.user("alice", crypto::Level::auth);
    const auto bob = t.cell.user("bob", crypto::Level::auth);
    const std::string path = t.cell.bob_only_dir + "/" + AfsCell::unique_name("refused");
    const RemoteFile f = created(*t.client, {bob}, path);
    const std::vector<Identity> keys{alice, anonymous()};
    auto w = writer(*t.client, f, keys);
    {
        ::netfs::File file(t.ctx, upload_options(*w));
        write_pattern(file, 2, 0, 3 * MiB);
        const auto ec = file.flush();
        REQUIRE(ec);
        CHECK(ec == std::errc::permission_denied);
        const std::string m = w->failure();
        MESSAGE(m);
        CHECK(m.find("RXAFS_StoreData64") != std::string::npos);
        CHECK(m.find(path) != std::string::npos);
        CHECK(m.find(f.ref.to_string()) != std::string::npos);
        CHECK(m.find("alice") != std::string::npos);
        CHECK(m.find("rxnull (anonymous)") != std::string::npos);
        CHECK(m.find("127.1.0.1:7000") != std::string::npos);
        const auto s = w->stats();
        MESSAGE(s.to_string());
        CHECK(s.bytes == 0);
        CHECK(s.stored == 0);
        CHECK(s.keys_exhausted >= 1);
        CHECK(s.keys[0].refused >= 1);
        CHECK(s.keys[1].refused >= 1);
        const auto n = t.ctx.stats();
        CHECK(n.streams[0].bytes == 0);
        CHECK(n.requests_failed >= 1);
        // The data stays dirty, and the error comes back on the next flush too.
        CHECK(file.dirty_bytes() > 0);
        CHECK(file.flush() == std::errc::permission_denied);
    }
    auto st = t.client->fetch_status(bob, f.ref);
    REQUIRE_MESSAGE(st, st.error().message());
    CHECK(st->status.length() == 0);
    REQUIRE(t.client->remove_file(bob, path));
}

namespace {

// A Kerberos 5 ticket of alice's from the cell's KDC, `lifetime` long ("20s"; "" = the
// realm's default), from a fresh credential cache in `dir`.
crypto::Token kerberos_ticket(const AfsCell& cell, const std::string& dir, const std::string& name,
                              const std::string& lifetime) {
    const std::string cache = "FILE:" + dir + "/" + name;
    const std::string env = "KRB5_CONFIG=" + testutil::shell_quote(cell["AFS_KRB5_CONFIG"]) +
                            " KRB5CCNAME=" + testutil::shell_quote(cache);
    auto r = testutil::run(env + " kinit " + (lifetime.empty() ? "" : "-l " + lifetime) + " -k -t " +
                           testutil::shell_quote(cell["AFS_KRB5_USERS_KEYTAB"]) + " alice 2>&1");
    REQUIRE_MESSAGE(r.status == 0, r.output);
    ::setenv("KRB5_CONFIG", cell["AFS_KRB5_CONFIG"].c_str(), 1);
    auto cred = krb5::get_credential({krb5::Source::Kind::ccache, cache, {}, {}}, {cell.cell, ""});
    REQUIRE_MESSAGE(cred, cred.error().message);
    return cred->token;
}

// Writes the first half of a 32 MiB pattern before `token` ends and the second after; returns
// the writer's flush result. `keys` must start with the identity built on `token`.
std::error_code upload_across_expiry(Cell& t, AfsWriteBackend& w, const crypto::Token& token, uint64_t seed) {
    const uint64_t half = 16 * MiB;
    ::netfs::FileOptions fo = upload_options(w);
    fo.dirty_background = 1 * MiB;
    ::netfs::File file(t.ctx, fo);
    write_pattern(file, seed, 0, half);
    const bool sent = testutil::wait_until(
        [&] {
            file.writeback_background();
            return w.stats().bytes >= half;
        },
        static_cast<double>(token.end() - crypto::unix_now()) - 1);
    REQUIRE_MESSAGE(sent, "the first half did not reach the server before the ticket ended: " << w.stats().to_string());
    while (crypto::unix_now() <= token.end()) std::this_thread::sleep_for(100ms);
    write_pattern(file, seed, half, 2 * half);
    return file.flush();
}

// The 32 MiB of pattern `seed` are on the server, read back as `who`; then the file goes.
void check_landed_and_remove(Cell& t, const RemoteFile& f, const Identity& who, uint64_t seed,
                             const std::string& path) {
    auto r = reader(*t.client, f, {who});
    CHECK(download_sha(t.ctx, *r, 32 * MiB) == pattern_sha(seed, 32 * MiB));
    REQUIRE(t.client->remove_file(who, path));
}

}  // namespace

TEST_CASE("a Kerberos 5 ticket that expires in the middle of an upload: the next identity takes over") {
    Cell t;
    testutil::TempDir tmp("netcp-krb5-expiry");
    const auto short_token = kerberos_ticket(t.cell, tmp.path().string(), "short", "12s");
    REQUIRE(short_token.kvno() == crypto::kvno_kerberos5);
    REQUIRE(short_token.end() <= crypto::unix_now() + 13);
    const auto short_lived = rxkad(short_token, crypto::Level::clear);
    const auto fresh = rxkad(kerberos_ticket(t.cell, tmp.path().string(), "fresh", ""), crypto::Level::clear);
    const std::string dir = t.cell["AFS_ALICE_ONLY_DIR"];

    SUBCASE("a second identity: writeback switches to it and the file lands whole") {
        const std::vector<Identity> keys{short_lived, fresh};
        const std::string path = dir + "/" + AfsCell::unique_name("k5expiry");
        const RemoteFile f = created(*t.client, keys, path);
        CHECK(f.key == 0);
        auto w = writer(*t.client, f, keys);
        w->prefer_key(f.key);
        const auto ec = upload_across_expiry(t, *w, short_token, 5);
        REQUIRE_MESSAGE(!ec, ec.message() << ": " << w->failure());
        const auto s = w->stats();
        MESSAGE(s.to_string());
        MESSAGE("the expired Kerberos ticket was refused with: " << s.keys[0].refusal.message());
        CHECK(s.keys[0].bytes == 16 * MiB);
        CHECK(s.keys[0].refused >= 1);
        CHECK(is_key_error(s.keys[0].refusal));
        CHECK(s.keys[1].bytes == 16 * MiB);
        CHECK(w->key_in_use() == 1);
        check_landed_and_remove(t, f, fresh, 5, path);
    }
    SUBCASE("no other identity, but a keytab to renew from: the same principal goes on") {
        const std::vector<Identity> keys{short_lived};
        const std::string path = dir + "/" + AfsCell::unique_name("k5renew");
        const RemoteFile f = created(*t.client, keys, path);
        size_t asked = 0;
        afs::netfs::WriteOptions wo;
        wo.renew_key = [&](size_t k) -> Identity {
            ++asked;
            CHECK(k == 0);
            auto cred = krb5::get_credential(
                {krb5::Source::Kind::keytab, {}, t.cell["AFS_KRB5_USERS_KEYTAB"], "alice"}, {t.cell.cell, ""});
            REQUIRE_MESSAGE(cred, cred.error().message);
            return rxkad(cred->token, crypto::Level::clear);
        };
        auto w = writer(*t.client, f, keys, wo);
        const auto ec = upload_across_expiry(t, *w, short_token, 7);
        REQUIRE_MESSAGE(!ec, ec.message() << ": " << w->failure());
        const auto s = w->stats();
        MESSAGE(s.to_string());
        CHECK(asked == 1);
        CHECK(s.key_renewals == 1);
        CHECK(s.key_switches == 0);
        CHECK(s.keys[0].bytes == 32 * MiB);
        CHECK_FALSE(w->keys()[0].get() == short_lived.get());
        check_landed_and_remove(t, f, fresh, 7, path);
    }
    SUBCASE("no other identity: the flush fails naming the expired ticket's principal") {
        const std::vector<Identity> keys{short_lived};
        const std::string path = dir + "/" + AfsCell::unique_name("k5alone");
        const RemoteFile f = created(*t.client, keys, path);
        auto w = writer(*t.client, f, keys);
        const auto ec = upload_across_expiry(t, *w, short_token, 6);
        REQUIRE(ec);
        MESSAGE(w->failure());
        CHECK(is_key_error(ec));
        CHECK(w->failure().find("alice@TEST.AFS (Kerberos 5)") != std::string::npos);
        CHECK(w->stats().keys[0].bytes == 16 * MiB);
        CHECK(w->stats().keys_exhausted >= 1);
        REQUIRE(t.client->remove_file(fresh, path));
    }
}

TEST_CASE("a ticket that expires in the middle of an upload: the fresh key takes over") {
    Cell t;
    // A ticket's lifetime is counted in 5-minute units from its start: start it in the past
    // so that it ends a few seconds from now. The fileserver takes every packet of the
    // connection until then, and none after.
    const uint32_t now = crypto::unix_now();
    crypto::MintRequest req;
    req.who = crypto::Principal("bob");
    req.end = now + 10;
    req.start = req.end - 300;
    auto short_token = crypto::mint_token(t.cell.keys(), req);
    REQUIRE_MESSAGE(short_token, short_token.error().message());
    REQUIRE(short_token->end() == req.end);
    const auto short_lived = rxkad(*short_token, crypto::Level::clear);
    const auto fresh = t.cell.user("bob", crypto::Level::clear);
    const std::vector<Identity> keys{short_lived, fresh};
    const std::string path = t.cell.bob_only_dir + "/" + AfsCell::unique_name("expiry");
    const RemoteFile f = created(*t.client, keys, path);
    CHECK(f.key == 0);
    auto w = writer(*t.client, f, keys);
    w->prefer_key(f.key);
    const uint64_t half = 16 * MiB, size = 2 * half, seed = 3;
    {
        ::netfs::FileOptions fo = upload_options(*w);
        fo.dirty_background = 1 * MiB;  // background writeback sends the first half before the ticket ends
        ::netfs::File file(t.ctx, fo);
        write_pattern(file, seed, 0, half);
        // Background writeback leaves up to dirty_background behind: push the tail out too
        // (no flush: the upload goes on as one).
        const bool sent = testutil::wait_until(
            [&] {
                file.writeback_background();
                return w->stats().bytes >= half;
            },
            static_cast<double>(short_token->end() - crypto::unix_now()) - 1);
        REQUIRE_MESSAGE(sent, "the first half did not reach the server before the ticket ended: " << w->stats().to_string());
        CHECK(w->stats().keys[0].bytes == half);
        // Past the end, then the rest: the short-lived key is refused from here on.
        while (crypto::unix_now() <= short_token->end()) std::this_thread::sleep_for(100ms);
        write_pattern(file, seed, half, size);
        const auto ec = file.flush();
        REQUIRE_MESSAGE(!ec, ec.message() << ": " << w->failure());
    }
    const auto s = w->stats();
    MESSAGE(s.to_string());
    CHECK(s.keys[0].bytes == half);
    CHECK(s.keys[0].refused >= 1);
    MESSAGE("the expired key was refused with: " << s.keys[0].refusal.message());
    CHECK(is_key_error(s.keys[0].refusal));
    CHECK(s.keys[1].bytes == half);
    CHECK(s.key_switches >= 1);
    CHECK(w->key_in_use() == 1);
    auto r = reader(*t.client, f, {fresh});
    CHECK(download_sha(t.ctx, *r, size) == pattern_sha(seed, size));
    REQUIRE(t.client->remove_file(fresh, path));
}

TEST_CASE("256 MiB buffered and direct through netfs::File, up and down, with identical SHA-256") {
    Cell t;
    const auto bob = t.cell.user("bob", crypto::Level::clear);
    const std::vector<Identity> keys{bob};
    const uint64_t size = big_size();
    for (const bool direct : {false, true}) {
        CAPTURE(direct);
        const uint64_t seed = direct ? 5 : 4;
        const std::string path = t.cell.bob_only_dir + "/" + AfsCell::unique_name(direct ? "big-direct" : "big");
        const RemoteFile f = created(*t.client, keys, path);
        afs::netfs::WriteOptions o;
        // Buffered: the length the file will have, as netcp knows it; direct: none (stores
        // then carry a FileLength that never cuts, and 4 requests overlap).
        if (!direct) o.file_length = size;
        o.mtime = 1'700'000'000u;
        auto w = writer(*t.client, f, keys, o);
        const auto t0 = std::chrono::steady_clock::now();
        {
            ::netfs::File file(t.ctx, upload_options(*w));
            if (direct) {
                const auto ec = write_pattern_direct(file, seed, size);
                REQUIRE_MESSAGE(!ec, ec.message() << ": " << w->failure());
            } else {
                write_pattern(file, seed, 0, size);
            }
            const auto ec = file.flush();
            REQUIRE_MESSAGE(!ec, ec.message() << ": " << w->failure());
        }
        const double up = seconds_since(t0);
        const auto s = w->stats();
        MESSAGE(std::string(direct ? "direct" : "buffered") << " upload of " << size / MiB << " MiB: " << up << " s ("
                                                 << static_cast<double>(size) / MiB / up << " MiB/s)\n"
                                                 << s.to_string());
        CHECK(s.bytes == size);
        CHECK(s.refused == 0);
        auto st = afs::netfs::stat_file(*t.client, keys, f);
        REQUIRE_MESSAGE(st, st.error().message());
        CHECK(st->size() == size);
        CHECK(st->status.client_mod_time == 1'700'000'000u);

        auto r = reader(*t.client, *st, keys);
        const auto t1 = std::chrono::steady_clock::now();
        const std::string got = download_sha(t.ctx, *r, size);
        const double down = seconds_since(t1);
        MESSAGE("download: " << down << " s (" << static_cast<double>(size) / MiB / down << " MiB/s), "
                             << r->stats().fetches << " fetches");
        CHECK(got == pattern_sha(seed, size));
        REQUIRE(t.client->remove_file(bob, path));
    }
}

TEST_CASE("the volume taken offline mid-upload: the budget shrinks, the upload completes") {
    const auto& cell = AfsCell::get();
    auto options = cell.options();
    options.retry.first_delay = 250ms;
    options.retry.max_delay = 1s;
    options.retry.busy_budget = 30s;
    auto c = cell.client(options);
    ::netfs::Context ctx;
    const std::vector<Identity> keys{anonymous()};
    const std::string path = cell.anon_rw_dir + "/" + AfsCell::unique_name("offline");
    const RemoteFile f = created(*c, keys, path);
    auto w = writer(*c, f, keys);
    const uint64_t size = 96 * MiB, seed = 6;
    std::error_code ec;
    {
        ::netfs::File file(ctx, upload_options(*w));
        write_pattern(file, seed, 0, 16 * MiB);
        ec = file.flush();
        REQUIRE_MESSAGE(!ec, ec.message() << ": " << w->failure());
        // Offline for 2 s (vos waits, then brings it back); the rest is written meanwhile.
        std::thread offline([&] {
            auto off = cell.vos("offline -server 127.1.0.1 -partition a -id test -sleep 2");
            MESSAGE("vos offline -sleep 2: exit " << off.status << " " << off.output);
        });
        const bool went = testutil::wait_until(
            [&] { return cell.vos("examine test").output.find("On-line") == std::string::npos; }, 10);
        CHECK_MESSAGE(went, "the volume did not go offline");
        write_pattern(file, seed, 16 * MiB, size);
        ec = file.flush();
        offline.join();
    }
    // Whatever happened, the volume must be back for the other tests.
    for (int i = 0; i < 100; ++i) {
        if (cell.vos("examine test").output.find("On-line") != std::string::npos) break;
        cell.vos("online -server 127.1.0.1 -partition a -id test");
        std::this_thread::sleep_for(100ms);
    }
    REQUIRE_MESSAGE(!ec, ec.message() << ": " << w->failure());
    const auto s = w->stats();
    MESSAGE(s.to_string() << "\nclient: " << c->async().stats().busy_retries << " busy retries");
    CHECK(s.busy >= 1);
    CHECK(s.budget_shrinks >= 1);
    CHECK(s.budget_min_calls < s.budget_max_calls);
    CHECK(s.bytes == size);
    auto r = reader(*c, f, keys);
    CHECK(download_sha(ctx, *r, size) == pattern_sha(seed, size));
    REQUIRE(c->remove_file(anonymous(), path));
}

TEST_CASE("remote files: create, open, stat and truncate with each key in turn, cache key and coherency") {
    Cell t;
    const auto alice = t.cell.user("alice", crypto::Level::clear);
    const auto bob = t.cell.user("bob", crypto::Level::clear);
    const std::string name = AfsCell::unique_name("remote");
    const std::string path = t.cell.bob_only_dir + "/" + name;

    // Nobody who may create: an error naming both keys.
    auto refused = afs::netfs::create_file(*t.client, std::vector<Identity>{alice, anonymous()}, path);
    REQUIRE(!refused);
    CHECK(refused.error().code == std::errc::permission_denied);
    MESSAGE(refused.error().message());
    CHECK(refused.error().message().find("RXAFS_CreateFile") != std::string::npos);
    CHECK(refused.error().message().find("any of rxkad clear as alice") != std::string::npos);
    CHECK(refused.error().message().find("rxnull (anonymous)") != std::string::npos);

    const std::vector<Identity> keys{alice, bob};
    const RemoteFile made = created(*t.client, keys, path);
    CHECK(made.key == 1);
    CHECK(made.size() == 0);
    auto again = afs::netfs::create_file(*t.client, keys, path);
    REQUIRE(!again);
    CHECK(again.error().code == std::errc::file_exists);

    // alice may look it up (rl): open_file answers with the first key.
    auto opened = afs::netfs::open_file(*t.client, keys, path);
    REQUIRE_MESSAGE(opened, opened.error().message());
    CHECK(opened->ref == made.ref);
    CHECK(opened->key == 0);
    auto missing = afs::netfs::open_file(*t.client, keys, path + ".missing");
    REQUIRE(!missing);
    CHECK(missing.error().code == std::errc::no_such_file_or_directory);
    auto dir = afs::netfs::open_file(*t.client, keys, t.cell.bob_only_dir);
    REQUIRE(!dir);
    CHECK(dir.error().code == std::errc::is_a_directory);

    const auto key = afs::netfs::cache_key(made.ref);
    CHECK(key.server == t.cell.cell);
    CHECK(key.volume == std::to_string(t.cell.test_volume_id));
    CHECK(key.file == std::to_string(made.ref.fid.vnode) + "." + std::to_string(made.ref.fid.unique));
    const auto before = afs::netfs::coherency(made.status);

    // Truncating (longer) with alice first: refused, bob does it.
    auto longer = afs::netfs::truncate_file(*t.client, keys, *opened, 5000);
    REQUIRE_MESSAGE(longer, longer.error().message());
    CHECK(longer->key == 1);
    CHECK(longer->size() == 5000);
    auto st = afs::netfs::stat_file(*t.client, keys, *longer);
    REQUIRE_MESSAGE(st, st.error().message());
    CHECK(st->size() == 5000);
    const auto after = afs::netfs::coherency(st->status);
    CHECK(after.size == 5000);
    CHECK(after.version > before.version);
    CHECK(after.mtime_ns % 1'000'000'000u == 0);
    CHECK(after.mtime_ns >= before.mtime_ns);
    auto shorter = afs::netfs::truncate_file(*t.client, keys, *st, 10);
    REQUIRE_MESSAGE(shorter, shorter.error().message());
    CHECK(shorter->size() == 10);
    REQUIRE(t.client->remove_file(bob, path));
}
