// lib9p against a real diod: every operation round-trips, errors come back as the right
// codes, pipelining and flushes work, and a dead server fails requests clearly.
#include <doctest/doctest.h>

#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <asio/bind_cancellation_slot.hpp>
#include <asio/cancellation_signal.hpp>
#include <asio/io_context.hpp>
#include <atomic>
#include <filesystem>
#include <future>
#include <set>
#include <thread>

#include "ninep_server.hpp"
#include "lib9p/blocking.hpp"
#include "tcp_relay.hpp"
#include "test_util.hpp"

using namespace p9;
using namespace testutil;
namespace fs = std::filesystem;

namespace {

std::unique_ptr<BlockingClient> connect_to(const Endpoint& ep, ClientOptions o = {}) {
    auto c = BlockingClient::connect(ep, o);
    REQUIRE_MESSAGE(c, "connect: " << c.error().message());
    return std::move(*c);
}

Fid attach(BlockingClient& c, const NinePServer& d, uint32_t uid = getuid()) { return d.attach(c, uid); }

std::span<const std::byte> as_bytes(const std::string& s) { return std::as_bytes(std::span(s.data(), s.size())); }

}  // namespace

TEST_CASE("connects over TCP and a unix socket and negotiates msize") {
    NinePServer d;
    std::vector<Endpoint> endpoints{d.tcp()};
    if (d.has_unix_socket()) endpoints.push_back(d.unix_socket());
    CHECK(d.has_unix_socket() == (d.kind() != ServerKind::ganesha));  // ganesha listens on TCP only
    for (const auto& ep : endpoints) {
        CAPTURE(ep.to_string());
        auto c = connect_to(ep);
        // diod 1.0.24 answers 65536 whatever is asked (its notes say 1 MiB; the server wins).
        CHECK(c->msize() <= (1u << 20));
        CHECK(c->msize() >= 8192);
        CHECK(c->max_io() == c->msize() - 24);
        auto root = attach(*c, d);
        CHECK(root.qid().is_dir());
    }
    SUBCASE("a smaller cap is honoured") {
        ClientOptions o;
        o.max_msize = 16384;
        auto c = connect_to(d.tcp(), o);
        CHECK(c->msize() == 16384);
    }
}

TEST_CASE("connects over IPv6") {
    NinePServer d;
    TcpRelay relay("::1", "127.0.0.1", d.port());
    auto c = connect_to(Endpoint::tcp("::1", relay.port()));
    auto root = attach(*c, d);
    auto st = c->statfs(root);
    REQUIRE(st);
    CHECK(st->bsize > 0);
}

TEST_CASE("files: create, write, read, getattr, setattr, fsync, rename, remove") {
    NinePServer d;
    auto c = connect_to(d.tcp());
    auto root = attach(*c, d);

    auto f = c->walk(root, "");
    REQUIRE(f);
    auto created = c->create(*f, "hello.txt", open_flags::rdwr | open_flags::create | open_flags::excl, 0640, getgid());
    REQUIRE_MESSAGE(created, created.error().message());
    const std::string text = "hello, 9p world\n";
    auto w = c->write(*f, 0, as_bytes(text));
    REQUIRE(w);
    CHECK(*w == text.size());
    CHECK(!c->fsync(*f));
    CHECK(!c->fsync(*f, true));
    std::vector<std::byte> buf(100);
    auto r = c->read(*f, 7, buf);
    REQUIRE(r);
    CHECK(std::string(reinterpret_cast<const char*>(buf.data()), *r) == "9p world\n");
    auto eof = c->read(*f, text.size(), buf);
    REQUIRE(eof);
    CHECK(*eof == 0);

    auto a = c->getattr(*f);
    REQUIRE(a);
    CHECK(a->size == text.size());
    CHECK((a->mode & 07777) == 0640);
    CHECK((a->mode & S_IFMT) == S_IFREG);
    CHECK(a->qid == f->qid());

    Tsetattr sa;
    sa.valid = setattr::mode | setattr::size | setattr::mtime | setattr::mtime_set;
    sa.mode = 0600;
    sa.size = 5;
    sa.mtime_sec = 1'600'000'000;
    sa.mtime_nsec = 0;
    CHECK(!c->setattr(*f, sa));
    struct stat st {};
    REQUIRE(::stat((d.export_dir() / "hello.txt").c_str(), &st) == 0);
    CHECK(st.st_size == 5);
    CHECK((st.st_mode & 07777) == 0600);
    CHECK(st.st_mtim.tv_sec == 1'600'000'000);
    CHECK(!c->clunk(*f));

    // Trename moves by fid; renameat (Trenameat, or its fallback on diod) by name.
    auto g = c->walk(root, "hello.txt");
    REQUIRE(g);
    CHECK(!c->rename(*g, root, "renamed.txt"));
    CHECK(fs::exists(d.export_dir() / "renamed.txt"));
    CHECK(!c->renameat(root, "renamed.txt", root, "again.txt"));
    CHECK(fs::exists(d.export_dir() / "again.txt"));
    CHECK(!fs::exists(d.export_dir() / "renamed.txt"));

    auto h = c->walk(root, "again.txt");
    REQUIRE(h);
    auto rm = c->remove(*h);
    CHECK(!*h);
    if (d.kind() == ServerKind::ganesha) {
        // nfs-ganesha 4.3 dies on this Tremove (a segfault in libganesha_nfsd): the client
        // reports the connection closed, never success. (netcp removes with Tunlinkat.)
        CHECK_MESSAGE(rm == errc::connection_closed, rm.message());
        return;
    }
    CHECK_MESSAGE(!rm, rm.message());
    CHECK(!fs::exists(d.export_dir() / "again.txt"));
}

TEST_CASE("directories, links, special files and deep walks") {
    NinePServer d;
    auto c = connect_to(d.local());
    auto root = attach(*c, d);

    REQUIRE(c->mkdir(root, "dir", 0755, getgid()));
    auto dir = c->walk(root, "dir");
    REQUIRE(dir);
    CHECK(dir->qid().is_dir());
    for (auto name : {"a", "b", "c"}) {
        auto f = c->walk(*dir, "");
        REQUIRE(c->create(*f, name, open_flags::wronly | open_flags::create, 0644, getgid()));
    }
    auto sym = c->symlink(*dir, "link", "a", getgid());
    REQUIRE(sym);
    CHECK(sym->is_symlink());
    auto lf = c->walk(*dir, "link");
    REQUIRE(lf);
    auto target = c->readlink(*lf);
    REQUIRE(target);
    CHECK(*target == "a");
    REQUIRE(c->mknod(*dir, "fifo", S_IFIFO | 0644, 0, 0, getgid()));
    CHECK(fs::is_fifo(d.export_dir() / "dir/fifo"));
    auto a = c->walk(*dir, "a");
    REQUIRE(a);
    CHECK(!c->link(*dir, *a, "hard"));
    CHECK(fs::hard_link_count(d.export_dir() / "dir/a") == 2);

    auto ents = c->readdir(*dir);
    REQUIRE(ents);
    std::set<std::string> names;
    for (auto& e : *ents) names.insert(e.name);
    CHECK(names == std::set<std::string>{"a", "b", "c", "link", "fifo", "hard"});

    // A path deeper than one Twalk can carry.
    fs::path deep = d.export_dir();
    std::string rel;
    for (int i = 0; i < 20; ++i) {
        deep /= "d" + std::to_string(i);
        rel += "d" + std::to_string(i) + "/";
    }
    fs::create_directories(deep);
    write_file(deep / "leaf", std::string("deep"));
    auto leaf = c->walk(root, rel + "leaf");
    REQUIRE_MESSAGE(leaf, leaf.error().message());
    CHECK(c->getattr(*leaf)->size == 4);

    // unlinkat (Tunlinkat, or Tremove after EOPNOTSUPP on diod)
    CHECK(!c->unlinkat(*dir, "b", 0));
    CHECK(!fs::exists(d.export_dir() / "dir/b"));
    CHECK(c->unlinkat(*dir, "nope", 0) == std::errc::no_such_file_or_directory);
    REQUIRE(c->mkdir(*dir, "sub", 0755, getgid()));
    auto ul = c->unlinkat(*dir, "sub", 0);
    if (d.kind() == ServerKind::ganesha) {
        // ganesha ignores Tunlinkat's flags: without AT_REMOVEDIR it removes a directory too.
        CHECK_MESSAGE(!ul, ul.message());
    } else {
        CHECK_MESSAGE(ul == std::errc::is_a_directory, ul.message());
        ul = c->unlinkat(*dir, "sub", at_removedir);
        CHECK_MESSAGE(!ul, ul.message());
    }
    CHECK(!fs::exists(d.export_dir() / "dir/sub"));

    auto sf = c->statfs(root);
    REQUIRE(sf);
    // diod gives the file system's block size; ganesha counts in bytes (bsize 1).
    CHECK(sf->bsize == (d.kind() == ServerKind::ganesha ? 1u : 4096u));
    CHECK(uint64_t(sf->blocks) * sf->bsize > (uint64_t(1) << 20));
}

TEST_CASE("xattrs and locks") {
    NinePServer d;
    auto c = connect_to(d.tcp());
    auto root = attach(*c, d);
    auto f = c->walk(root, "");
    REQUIRE(c->create(*f, "x", open_flags::rdwr | open_flags::create, 0644, getgid()));

    Tlock lk;
    lk.lock_type = lock::wrlck;
    lk.start = 0;
    lk.length = 10;
    lk.proc_id = static_cast<uint32_t>(getpid());
    // As the Linux client, a host name: ganesha resolves it (getaddrinfo) to key the lock owner,
    // EINVAL if it cannot.
    lk.client_id = "localhost";
    auto st = c->lock(*f, lk);
    REQUIRE_MESSAGE(st, st.error().message());
    CHECK(*st == lock::success);
    Tgetlock gl;
    gl.lock_type = lock::wrlck;
    gl.length = 10;
    gl.proc_id = lk.proc_id;
    gl.client_id = "localhost";
    auto cur = c->getlock(*f, gl);
    REQUIRE(cur);
    lk.lock_type = lock::unlck;
    CHECK(*c->lock(*f, lk) == lock::success);

    const std::string value = "some value";
    auto ec = c->xattr_set(*f, "user.netcp", as_bytes(value), xattr::create);
    if (ec == std::errc::operation_not_supported) {
        MESSAGE("the export's file system has no user xattrs: skipping the xattr part");
    } else {
        REQUIRE_MESSAGE(!ec, ec.message());
        auto got = c->xattr_get(*f, "user.netcp");
        REQUIRE(got);
        CHECK(std::string(reinterpret_cast<const char*>(got->data()), got->size()) == value);
        auto missing = c->xattr_get(*f, "user.missing");
        if (d.kind() == ServerKind::ganesha) {
            // nfs-ganesha 4.3 dies in its xattr code (segfaults in libfsalvfs): always on a
            // listing, sometimes already here. The client reports the connection closed,
            // never a value or a listing.
            REQUIRE(!missing);
            if (missing.error() == errc::connection_closed) return;
            CHECK(missing.error() == std::errc::no_message_available);
            auto list = c->xattr_get(*f, "");
            CHECK(!list);
            CHECK(list.error() == errc::connection_closed);
            return;
        }
        CHECK(missing.error() == std::errc::no_message_available);
        auto list = c->xattr_get(*f, "");
        REQUIRE_MESSAGE(list, list.error().message());
        CHECK(std::string(reinterpret_cast<const char*>(list->data()), list->size()).find("user.netcp") !=
              std::string::npos);
    }
}

TEST_CASE("server errors come back as the right error codes") {
    NinePServer d;
    auto c = connect_to(d.tcp());
    auto root = attach(*c, d);

    CHECK(c->walk(root, "missing").error() == std::errc::no_such_file_or_directory);
    fs::create_directories(d.export_dir() / "a");
    CHECK(c->walk(root, "a/missing/deeper").error() == std::errc::no_such_file_or_directory);

    write_file(d.export_dir() / "exists", std::string("x"));
    auto f = c->walk(root, "");
    auto made = c->create(*f, "exists", open_flags::wronly | open_flags::create | open_flags::excl, 0644, 0);
    if (d.kind() == ServerKind::ganesha) {
        // ganesha 4.3 reads O_EXCL from the wrong bit (0x1000, not Linux's 0x80): the
        // existing file is opened (netcp's temporary names are random, and never rely on
        // EEXIST). It is left as it was.
        CHECK(made);
        CHECK(read_file(d.export_dir() / "exists").size() == 1);
        f = c->walk(root, "");
    } else {
        CHECK(made.error() == std::errc::file_exists);
    }
    CHECK(c->mkdir(root, "a", 0755, 0).error() == std::errc::file_exists);

    write_file(d.export_dir() / "a/inside", std::string("x"));
    auto ec = c->unlinkat(root, "a", at_removedir);
    CHECK(ec == std::errc::directory_not_empty);
    CHECK_MESSAGE(ec.message() == "Directory not empty", ec.message());

    // EACCES: attach as an unprivileged uid and create in a directory only root may write.
    fs::create_directories(d.export_dir() / "locked");
    fs::permissions(d.export_dir() / "locked", fs::perms(0755));
    auto refused = [](std::error_code e) { return e == std::errc::permission_denied; };
    if (getuid() == 0 && d.kind() == ServerKind::diod_munge) {
        // A MUNGE credential proves the uid that asked munged for it (0 here): attaching
        // with it as another uid is refused (netcp_diod@munge covers EACCES, running netcp
        // as that uid).
        auto other = connect_to(d.tcp());
        auto nobody = d.try_attach(*other, d.aname(), 65534);
        CHECK(nobody.error() == errc::auth_refused);
        CHECK(d.log().find("does not authenticate uid=65534") != std::string::npos);
    } else if (getuid() == 0) {
        auto other = connect_to(d.tcp());
        auto nobody = attach(*other, d, 65534);
        auto dir = other->walk(nobody, "locked");
        REQUIRE(dir);
        auto e = other->create(*dir, "no", open_flags::wronly | open_flags::create, 0644, 65534).error();
        CHECK_MESSAGE(refused(e), e.message());
        e = other->mkdir(*dir, "no", 0755, 65534).error();
        CHECK_MESSAGE(refused(e), e.message());
    } else {
        fs::permissions(d.export_dir() / "locked", fs::perms(0555));
        auto dir = c->walk(root, "locked");
        REQUIRE(dir);
        CHECK(c->create(*dir, "no", open_flags::wronly | open_flags::create, 0644, getgid()).error() ==
              std::errc::permission_denied);
    }

    // diod: EPERM (with MUNGE indistinguishable from a refused credential); ganesha: EACCES.
    const std::error_code no_export = d.kind() == ServerKind::diod_munge ? make_error_code(errc::auth_refused)
                                      : d.kind() == ServerKind::ganesha
                                          ? std::make_error_code(std::errc::permission_denied)
                                          : std::make_error_code(std::errc::operation_not_permitted);
    CHECK(d.try_attach(*c, "/not/an/export", getuid()).error() == no_export);
    CHECK(c->create(*f, "a/b", open_flags::wronly, 0644, 0).error() == errc::invalid_name);
}

TEST_CASE("64 concurrent requests on one connection, answered out of order") {
    NinePServer d;
    const size_t chunk = 4096;
    auto data = random_bytes(64 * chunk, 7);
    write_file(d.export_dir() / "blob", data);
    auto c = connect_to(d.tcp());
    auto root = attach(*c, d);
    auto f = c->walk(root, "blob");
    REQUIRE(c->open(*f, open_flags::rdonly));

    std::vector<std::vector<std::byte>> bufs(64, std::vector<std::byte>(chunk));
    std::vector<std::promise<std::pair<std::error_code, size_t>>> done(64);
    // Issue all 64 from inside the client's executor so they leave in one burst.
    std::promise<void> issued;
    asio::post(c->async().get_executor(), [&] {
        for (size_t i = 0; i < 64; ++i)
            c->async().async_read(f->number(), i * chunk, bufs[i], [&, i](std::error_code ec, size_t n) {
                done[i].set_value({ec, n});
            });
        issued.set_value();
    });
    issued.get_future().wait();
    for (size_t i = 0; i < 64; ++i) {
        auto [ec, n] = done[i].get_future().get();
        REQUIRE(!ec);
        REQUIRE(n == chunk);
        CHECK(std::equal(bufs[i].begin(), bufs[i].end(), data.begin() + static_cast<ptrdiff_t>(i * chunk)));
    }
    CHECK(c->async().stats().max_in_flight >= 64);
}

TEST_CASE("pipelined bulk transfers are byte-exact") {
    NinePServer d;
    auto c = connect_to(d.tcp());
    auto root = attach(*c, d);
    const size_t size = 8 * 1024 * 1024 + 12345;  // not a multiple of anything
    auto data = random_bytes(size, 99);
    auto f = c->walk(root, "");
    REQUIRE(c->create(*f, "bulk", open_flags::rdwr | open_flags::create, 0644, getgid()));
    auto n = c->write_from(*f, 0, size, [&](uint64_t pos, std::span<std::byte> buf) -> result<size_t> {
        std::copy_n(data.begin() + static_cast<ptrdiff_t>(pos), buf.size(), buf.begin());
        return buf.size();
    }, 16);
    REQUIRE(n);
    CHECK(*n == size);
    CHECK(sha256_file(d.export_dir() / "bulk") == sha256_hex(data));

    std::vector<std::byte> back(size);
    for (std::optional<uint64_t> hint : {std::optional<uint64_t>(size), std::optional<uint64_t>()}) {
        std::fill(back.begin(), back.end(), std::byte{0});
        auto g = c->walk(root, "bulk");
        REQUIRE(c->open(*g, open_flags::rdonly));
        auto m = c->read_into(*g, 0, [&](uint64_t pos, std::span<const std::byte> piece) {
            REQUIRE(pos + piece.size() <= back.size());
            std::copy(piece.begin(), piece.end(), back.begin() + static_cast<ptrdiff_t>(pos));
            return std::error_code{};
        }, 16, hint);
        REQUIRE(m);
        CHECK(*m == size);
        CHECK(back == data);
    }
}

TEST_CASE("a request cancelled in flight gets a Tflush and the connection stays usable") {
    NinePServer d;
    auto c = connect_to(d.tcp());
    auto root = attach(*c, d);
    write_file(d.export_dir() / "f", std::string(1000, 'z'));
    auto f = c->walk(root, "f");
    REQUIRE(c->open(*f, open_flags::rdonly));

    d.pause();  // the request waits in the socket; diod sees it with the flush
    std::vector<std::byte> buf(100);
    asio::cancellation_signal cancel;
    std::promise<std::pair<std::error_code, size_t>> done;
    c->async().async_read(f->number(), 0, buf,
                          asio::bind_cancellation_slot(cancel.slot(), [&](std::error_code ec, size_t n) {
                              done.set_value({ec, n});
                          }));
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    asio::post(c->async().get_executor(), [&] { cancel.emit(asio::cancellation_type::terminal); });
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    d.resume();
    auto [ec, n] = done.get_future().get();
    // Either the server answered first (then the read happened) or the flush won.
    CHECK((ec == errc::cancelled || (!ec && n == 100)));
    CHECK(c->async().stats().flushes == 1);
    auto again = c->read(*f, 0, buf);
    REQUIRE(again);
    CHECK(*again == 100);
}

TEST_CASE("a server that stops answering times out, and a dead one fails everything") {
    NinePServer d;
    ClientOptions o;
    o.request_timeout = std::chrono::milliseconds(300);
    o.flush_timeout = std::chrono::milliseconds(300);
    auto c = connect_to(d.tcp(), o);
    auto root = attach(*c, d);
    d.pause();
    auto t0 = std::chrono::steady_clock::now();
    auto r = c->getattr(root);
    auto waited = std::chrono::steady_clock::now() - t0;
    d.resume();
    REQUIRE(!r);
    CHECK(r.error() == errc::timed_out);
    CHECK(waited < std::chrono::seconds(5));
    // The flush went unanswered too, so the connection was declared dead.
    CHECK(!c->async().connected());
    CHECK(c->getattr(root).error() == errc::timed_out);
}

TEST_CASE("a server killed mid-transfer gives a clear error and no success") {
    NinePServer d;
    auto c = connect_to(d.tcp());
    auto root = attach(*c, d);
    auto f = c->walk(root, "");
    REQUIRE(c->create(*f, "big", open_flags::wronly | open_flags::create, 0644, getgid()));
    std::vector<std::byte> chunk(c->max_io(), std::byte{0x5a});
    std::atomic<uint64_t> produced{0};
    std::thread killer([&] {
        while (produced.load() < (16u << 20)) std::this_thread::sleep_for(std::chrono::milliseconds(1));
        d.kill_now();
    });
    auto n = c->write_from(*f, 0, uint64_t(4) << 30, [&](uint64_t, std::span<std::byte> buf) -> result<size_t> {
        std::copy_n(chunk.begin(), buf.size(), buf.begin());
        produced += buf.size();
        return buf.size();
    }, 16);
    killer.join();
    REQUIRE(!n);
    CHECK(n.error() == errc::connection_closed);
    CHECK(n.error().message() == "server closed the connection");
    CHECK(c->getattr(root).error() == errc::connection_closed);
}
