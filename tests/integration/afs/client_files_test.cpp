// Every FS RPC of the client against the real cell: the callback service and the first
// call's latency, file and directory operations, bulk status, callbacks given up and
// broken, ACLs, and what refusals look like (the AFS adapter switches keys on them).
#include <doctest/doctest.h>

#include <asio/io_context.hpp>
#include <asio/use_future.hpp>
#include <atomic>
#include <chrono>
#include <future>
#include <mutex>
#include <thread>

#include "afs_cell.hpp"
#include "libafs/wire/acl.hpp"
#include "libafs/wire/cb.hpp"

using namespace afs;
using namespace afs::client;
using afstest::AfsCell;
using afstest::as_bytes;
using namespace std::chrono_literals;

namespace {

std::string text_of(std::span<const std::byte> b) { return std::string(reinterpret_cast<const char*>(b.data()), b.size()); }

std::string read_all(BlockingClient& c, const Identity& who, const FileRef& f) {
    auto st = c.fetch_status(who, f);
    REQUIRE_MESSAGE(st, st.error().message());
    std::vector<std::byte> buf(static_cast<size_t>(st->status.length()));
    auto r = c.fetch_data(who, f, 0, buf);
    REQUIRE_MESSAGE(r, r.error().message());
    buf.resize(static_cast<size_t>(r->bytes));
    return text_of(buf);
}

}  // namespace

TEST_CASE("the first FS call is answered in well under a second: the callback service answers the fileserver") {
    const auto& cell = AfsCell::get();
    auto c = cell.client();
    // Warm the VL side so the timing is the fileserver's first call alone.
    auto v = c->lookup_volume(cell.cell, "test");
    REQUIRE_MESSAGE(v, v.error().message());
    const FileRef root{cell.cell, wire::AFSFid::root_of(cell.test_volume_id)};
    const auto start = std::chrono::steady_clock::now();
    auto caps = c->get_capabilities(anonymous(), root);
    const auto took = std::chrono::steady_clock::now() - start;
    REQUIRE_MESSAGE(caps, caps.error().message());
    MESSAGE("first FS call (GetCapabilities): " << std::chrono::duration<double, std::milli>(took).count() << " ms");
    CHECK(took < 1s);
    CHECK(wire::has_capability(caps->capabilities, wire::capability::viced_64bitfiles));
    const auto stats = c->async().stats();
    for (const auto& [op, n] : stats.callbacks_served) MESSAGE("callback opcode " << op << " served x" << n);
    CHECK(stats.callbacks_served.count(wire::cb::TellMeAboutYourself::opcode) == 1);
    CHECK((stats.callbacks_served.count(wire::cb::InitCallBackState3::opcode) +
           stats.callbacks_served.count(wire::cb::InitCallBackState::opcode)) >= 1);
    CHECK(stats.rx.engine.ping_responses_sent >= 1);
}

TEST_CASE("FetchStatus, StoreData64, FetchData64 (scatter/gather), StoreStatus and truncation") {
    const auto& cell = AfsCell::get();
    auto c = cell.client();
    const auto who = anonymous();
    const std::string path = cell.anon_rw_dir + "/" + AfsCell::unique_name("file");
    auto created = c->create_file(who, path, CreateParams{0640, 1'600'000'000});
    REQUIRE_MESSAGE(created, created.error().message());
    CHECK(created->status.is_file());
    CHECK(created->status.length() == 0);
    CHECK((created->status.unix_mode_bits & 0777) == 0640);
    CHECK(created->status.client_mod_time == 1'600'000'000u);
    const FileRef f = created->file;

    // One store from three pieces, with a modification time.
    const std::string a = "hello", b = " ", d = "world";
    const std::span<const std::byte> pieces[] = {as_bytes(a), as_bytes(b), as_bytes(d)};
    std::promise<std::pair<std::error_code, StoreReply>> promise;
    c->async().async_store_data(who, f, StoreParams{0, 11, 1'700'000'000u, false},
                                std::span<const std::span<const std::byte>>(pieces),
                                [&promise](std::error_code ec, StoreReply r) { promise.set_value({ec, std::move(r)}); });
    auto [store_ec, stored] = promise.get_future().get();
    REQUIRE_MESSAGE(!store_ec, stored.outcome.message(store_ec));
    CHECK(stored.status.length() == 11);
    CHECK(stored.status.client_mod_time == 1'700'000'000u);
    const uint64_t dv = stored.status.data_version();

    auto st = c->fetch_status(who, f);
    REQUIRE_MESSAGE(st, st.error().message());
    CHECK(st->status.length() == 11);
    CHECK(st->status.data_version() == dv);
    CHECK(st->callback.expiration_time > 0);
    CHECK(read_all(*c, who, f) == "hello world");

    // A range into two buffers; a read past the end gives what there is.
    std::array<std::byte, 3> x{};
    std::array<std::byte, 4> y{};
    const std::span<std::byte> bufs[] = {x, y};
    auto fetched = c->async()
                       .async_fetch_data(who, f, 4, std::span<const std::span<std::byte>>(bufs), asio::use_future)
                       .get();
    CHECK(fetched.bytes == 7);
    CHECK(text_of(x) + text_of(y) == "o world");
    CHECK(fetched.status.length() == 11);
    std::array<std::byte, 16> tail{};
    auto past = c->fetch_data(who, f, 8, tail);
    REQUIRE(past);
    CHECK(past->bytes == 3);
    auto beyond = c->fetch_data(who, f, 1000, tail);
    REQUIRE(beyond);
    CHECK(beyond->bytes == 0);

    // A store past the end leaves a hole of zeros; file_length below the current length cuts first.
    const std::string z = "Z";
    auto hole = c->store_data(who, f, StoreParams{15, 16, {}, false}, as_bytes(z));
    REQUIRE_MESSAGE(hole, hole.error().message());
    CHECK(hole->status.length() == 16);
    CHECK(read_all(*c, who, f) == std::string("hello world") + std::string(4, '\0') + "Z");

    // Truncate down, then up.
    auto shorter = c->truncate(who, f, 5);
    REQUIRE_MESSAGE(shorter, shorter.error().message());
    CHECK(shorter->status.length() == 5);
    CHECK(read_all(*c, who, f) == "hello");
    auto longer = c->truncate(who, f, 4096);
    REQUIRE_MESSAGE(longer, longer.error().message());
    CHECK(longer->status.length() == 4096);
    CHECK(read_all(*c, who, f) == "hello" + std::string(4091, '\0'));

    // StoreStatus: mode and time.
    wire::AFSStoreStatus ss;
    ss.mask = wire::store_mask::set_mode | wire::store_mask::set_mod_time;
    ss.unix_mode_bits = 0600;
    ss.client_mod_time = 1'234'567'890;
    auto changed = c->store_status(who, f, ss);
    REQUIRE_MESSAGE(changed, changed.error().message());
    CHECK((changed->status.unix_mode_bits & 0777) == 0600);
    CHECK(changed->status.client_mod_time == 1'234'567'890u);

    REQUIRE(c->remove_file(who, path));
    auto gone = c->fetch_status(who, f);
    REQUIRE(!gone);
    MESSAGE("status of a removed file: " << gone.error().message());
    CHECK(gone.error().code == std::errc::no_such_file_or_directory);
}

TEST_CASE("MakeDir, CreateFile, Rename, RemoveFile, RemoveDir and InlineBulkStatus") {
    const auto& cell = AfsCell::get();
    auto c = cell.client();
    const auto who = anonymous();
    const std::string top = cell.anon_rw_dir + "/" + AfsCell::unique_name("dir");
    auto dir = c->make_dir(who, top);
    REQUIRE_MESSAGE(dir, dir.error().message());
    CHECK(dir->status.is_directory());
    auto sub = c->make_dir(who, top + "/sub");
    REQUIRE_MESSAGE(sub, sub.error().message());
    auto file = c->write_file(who, top + "/a.txt", as_bytes("contents of a"));
    REQUIRE_MESSAGE(file, file.error().message());

    // The same name twice.
    auto again = c->create_file(who, top + "/a.txt");
    REQUIRE(!again);
    CHECK(again.error().code == std::errc::file_exists);

    // Rename within a directory and across directories of the volume.
    REQUIRE(c->rename(who, top + "/a.txt", top + "/b.txt"));
    REQUIRE(c->rename(who, top + "/b.txt", top + "/sub/c.txt"));
    auto moved = c->read_file(who, top + "/sub/c.txt");
    REQUIRE_MESSAGE(moved, moved.error().message());
    CHECK(text_of(*moved) == "contents of a");
    auto old_name = c->resolve(who, top + "/a.txt");
    CHECK(!old_name);

    // Three fids in one call; one of them does not exist and says so in its own status.
    auto s = c->resolve(who, top + "/sub");
    auto cf = c->resolve(who, top + "/sub/c.txt");
    REQUIRE(s);
    REQUIRE(cf);
    const wire::AFSFid bogus{cell.test_volume_id, 999'999, 1};
    auto bulk = c->bulk_status(who, cell.cell, {s->ref.fid, cf->ref.fid, bogus});
    REQUIRE_MESSAGE(bulk, bulk.error().message());
    REQUIRE(bulk->statuses.size() == 3);
    CHECK(bulk->statuses[0].is_directory());
    CHECK(bulk->statuses[1].is_file());
    CHECK(bulk->statuses[1].length() == 13);
    CHECK(!bulk->statuses[0].error());
    CHECK(bulk->statuses[2].error());
    MESSAGE("bulk status of a missing vnode: " << bulk->statuses[2].error().message());

    // A directory that is not empty stays.
    auto not_empty = c->remove_dir(who, top + "/sub");
    REQUIRE(!not_empty);
    // OpenAFS answers EEXIST here (an old BSD habit), not ENOTEMPTY.
    CHECK((not_empty.error().code == std::errc::directory_not_empty || not_empty.error().code == std::errc::file_exists));
    MESSAGE("removing a directory that is not empty: " << not_empty.error().message());
    REQUIRE(c->remove_file(who, top + "/sub/c.txt"));
    REQUIRE(c->rename(who, top + "/sub", top + "/sub2"));
    REQUIRE(c->remove_dir(who, top + "/sub2"));
    REQUIRE(c->remove_dir(who, top));
    CHECK(!c->resolve(who, top));
}

TEST_CASE("GiveUpCallBacks, and a promise broken by another client arrives as CallBack") {
    const auto& cell = AfsCell::get();
    std::mutex m;
    std::vector<wire::AFSFid> broken;
    auto options = cell.options();
    options.on_callback = [&](const CallbackEvent& e) {
        std::lock_guard lock(m);
        if (e.kind == CallbackEvent::Kind::broken) broken.insert(broken.end(), e.fids.begin(), e.fids.end());
    };
    auto a = cell.client(options);
    auto b = cell.client();  // another socket, another UUID: another client to the fileserver
    const std::string path = cell.anon_rw_dir + "/" + AfsCell::unique_name("cb");
    auto created = a->write_file(anonymous(), path, as_bytes("one"));
    REQUIRE_MESSAGE(created, created.error().message());
    auto node = a->resolve(anonymous(), path);
    REQUIRE(node);
    auto st = a->fetch_status(anonymous(), node->ref);  // a promise for client a
    REQUIRE(st);
    CHECK(st->callback.expiration_time > 0);

    auto other = b->store_data(anonymous(), node->ref, StoreParams{0, 3, {}, false}, as_bytes("two"));
    REQUIRE_MESSAGE(other, other.error().message());
    bool seen = false;
    for (int i = 0; i < 500 && !seen; ++i) {  // up to 5 s
        {
            std::lock_guard lock(m);
            seen = std::find(broken.begin(), broken.end(), node->ref.fid) != broken.end();
        }
        if (!seen) std::this_thread::sleep_for(10ms);
    }
    CHECK_MESSAGE(seen, "no CallBack for the file after another client wrote it");
    CHECK(a->async().stats().callbacks_served.count(wire::cb::CallBack::opcode) == 1);

    // Take a promise again and give it up.
    REQUIRE(a->fetch_status(anonymous(), node->ref));
    auto given = a->give_up_callbacks(anonymous(), cell.cell, {node->ref.fid});
    REQUIRE_MESSAGE(given, given.error().message());
    REQUIRE(a->remove_file(anonymous(), path));
}

TEST_CASE("FetchACL and StoreACL as an administrator, and refused for others") {
    const auto& cell = AfsCell::get();
    auto c = cell.client();
    const auto admin = cell.user("admin", crypto::Level::crypt);
    const auto alice = cell.user("alice", crypto::Level::crypt);
    const std::string path = cell.anon_rw_dir + "/" + AfsCell::unique_name("acl");
    auto dir = c->make_dir(admin, path);
    REQUIRE_MESSAGE(dir, dir.error().message());

    auto inherited = c->fetch_acl(admin, dir->file);
    REQUIRE_MESSAGE(inherited, inherited.error().message());
    // A new directory starts with its parent's ACL (anon-rw: anyone may write).
    bool anyuser = false;
    for (const auto& e : inherited->acl.positive) anyuser |= e.name == "system:anyuser";
    CHECK(anyuser);

    wire::Acl acl;
    acl.positive = {{"system:administrators", *wire::parse_rights("all")}, {"alice", *wire::parse_rights("rl")}};
    auto stored = c->store_acl(admin, dir->file, acl);
    REQUIRE_MESSAGE(stored, stored.error().message());
    auto back = c->fetch_acl(admin, dir->file);
    REQUIRE_MESSAGE(back, back.error().message());
    CHECK(back->acl == acl);

    // alice may look but not administer; anonymous may not even look now.
    auto alice_acl = c->fetch_acl(alice, dir->file);
    REQUIRE_MESSAGE(alice_acl, alice_acl.error().message());
    auto alice_store = c->store_acl(alice, dir->file, acl);
    REQUIRE(!alice_store);
    CHECK(alice_store.error().code == std::errc::permission_denied);
    auto anon_create = c->create_file(anonymous(), path + "/x");
    REQUIRE(!anon_create);
    CHECK(anon_create.error().code == std::errc::permission_denied);

    REQUIRE(c->remove_dir(admin, path));
}

TEST_CASE("a refused write is a clear, detectable permission error, and the same write as bob succeeds") {
    const auto& cell = AfsCell::get();
    auto c = cell.client();
    const auto alice = cell.user("alice", crypto::Level::crypt);
    const auto bob = cell.user("bob", crypto::Level::crypt);
    const std::string name = AfsCell::unique_name("switch");
    const std::string path = cell.bob_only_dir + "/" + name;

    auto refused = c->create_file(alice, path);
    REQUIRE(!refused);
    CHECK(refused.error().code == std::errc::permission_denied);
    CHECK(is_key_error(refused.error().code));
    const std::string m = refused.error().message();
    MESSAGE(m);
    CHECK(m.find("RXAFS_CreateFile") != std::string::npos);
    CHECK(m.find(name) != std::string::npos);
    CHECK(m.find("alice") != std::string::npos);
    CHECK(m.find("127.1.0.1:7000") != std::string::npos);

    // Same client, next key.
    auto created = c->create_file(bob, path);
    REQUIRE_MESSAGE(created, created.error().message());
    // The next issue's adapter stores as alice first, sees the refusal, and switches to bob.
    auto as_alice = c->store_data(alice, created->file, StoreParams{0, 5, {}, false}, as_bytes("hello"));
    REQUIRE(!as_alice);
    CHECK(as_alice.error().code == std::errc::permission_denied);
    CHECK(is_key_error(as_alice.error().code));
    MESSAGE(as_alice.error().message());
    auto as_bob = c->store_data(bob, created->file, StoreParams{0, 5, {}, false}, as_bytes("hello"));
    REQUIRE_MESSAGE(as_bob, as_bob.error().message());
    CHECK(as_bob->status.length() == 5);
    // alice may read it (rl), anonymous may not.
    CHECK(read_all(*c, alice, created->file) == "hello");
    auto anon = c->fetch_data(anonymous(), created->file, 0, std::span<std::byte>());
    REQUIRE(!anon);
    CHECK(anon.error().code == std::errc::permission_denied);
    // bob's refused file content was never changed by alice's attempt.
    CHECK(read_all(*c, bob, created->file) == "hello");
    REQUIRE(c->remove_file(bob, path));
}

TEST_CASE("a ticket sealed with a key the cell does not have: an rxkad error, and good keys still work") {
    const auto& cell = AfsCell::get();
    auto c = cell.client();
    auto bad_key = crypto::random_session_key();
    REQUIRE(bad_key);
    auto wrong = crypto::KeyFile::from_keys({crypto::ServerKey{cell.keys().latest()->kvno, *bad_key}});
    REQUIRE(wrong);
    auto token = crypto::mint_token(*wrong, crypto::Principal("bob"), std::chrono::hours(1));
    REQUIRE(token);
    const auto forged = rxkad(*token, crypto::Level::crypt);
    const FileRef root{cell.cell, wire::AFSFid::root_of(cell.test_volume_id)};
    for (int i = 0; i < 2; ++i) {  // the second time on a fresh connection: the first was dropped
        auto r = c->fetch_status(forged, root);
        REQUIRE(!r);
        MESSAGE(r.error().message());
        CHECK(r.error().code == abort_error(abort_code::RXKADBADTICKET));
        CHECK(is_key_error(r.error().code));
    }
    auto good = c->fetch_status(cell.user("bob", crypto::Level::crypt), root);
    REQUIRE_MESSAGE(good, good.error().message());
}

TEST_CASE("many calls in flight on pooled connections (async API)") {
    const auto& cell = AfsCell::get();
    asio::io_context io;
    auto options = cell.options();
    options.connections_per_server = 2;
    auto client = Client::create(io.get_executor(), options);
    REQUIRE(client);
    auto& c = **client;
    std::thread runner;
    auto work = asio::make_work_guard(io);
    runner = std::thread([&] { io.run(); });
    const auto bob = cell.user("bob", crypto::Level::clear);

    auto dir = c.async_resolve(bob, cell.bob_only_dir, {}, asio::use_future).get().node.ref;
    constexpr int files = 8, pieces = 4;
    constexpr size_t piece = 1 << 20;
    std::vector<std::byte> data = testutil::random_bytes(piece * pieces, 7);
    std::vector<FileRef> refs;
    std::vector<std::string> names;
    for (int i = 0; i < files; ++i) {
        names.push_back(AfsCell::unique_name("many"));
        refs.push_back(c.async_create_file(bob, dir, names.back(), CreateParams{}, asio::use_future).get().file);
    }
    // 32 StoreData64 calls at once: 4 channels x 2 connections run, the rest wait for a channel.
    // Each reply's length is at least the end of its own piece (FileLength only ever cuts).
    std::vector<std::pair<uint64_t, std::future<StoreReply>>> stores;
    for (int i = 0; i < files; ++i)
        for (int p = 0; p < pieces; ++p)
            stores.emplace_back((p + 1) * piece,
                                c.async_store_data(bob, refs[static_cast<size_t>(i)],
                                                   StoreParams{p * piece, pieces * piece, {}, false},
                                                   std::span<const std::byte>(data).subspan(p * piece, piece),
                                                   asio::use_future));
    for (auto& [end, f] : stores) CHECK(f.get().status.length() >= end);
    std::vector<std::vector<std::byte>> back(files, std::vector<std::byte>(data.size()));
    std::vector<std::future<FetchReply>> fetches;
    for (int i = 0; i < files; ++i)
        fetches.push_back(c.async_fetch_data(bob, refs[static_cast<size_t>(i)], 0, std::span<std::byte>(back[static_cast<size_t>(i)]),
                                             asio::use_future));
    for (int i = 0; i < files; ++i) {
        CHECK(fetches[static_cast<size_t>(i)].get().bytes == data.size());
        CHECK(back[static_cast<size_t>(i)] == data);
    }
    const auto stats = c.stats();
    MESSAGE("connections opened: " << stats.connections_opened << ", FS calls: " << stats.fs_calls);
    CHECK(stats.connections_opened <= 1 + 2);  // VL (anonymous) + at most 2 for bob on the fileserver
    for (int i = 0; i < files; ++i)
        c.async_remove_file(bob, dir, names[static_cast<size_t>(i)], asio::use_future).get();
    c.close();
    work.reset();
    runner.join();
}
