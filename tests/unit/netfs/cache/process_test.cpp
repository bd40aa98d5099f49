// Several users of one cache directory: another process holding an entry, a process that
// died without committing (a torn entry), and two Cache instances in one process.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cache_env.hpp"
#include "fake_backend.hpp"

using namespace cachetest;
using testnetfs::FakeReader;

namespace {

// Runs `body` in a child process, which ends with _exit(body()). To die without
// committing, body calls _exit itself: returning would run its locals' destructors.
template <class Body>
pid_t child(Body body) {
    const pid_t pid = ::fork();
    REQUIRE(pid >= 0);
    if (pid == 0) ::_exit(body());
    return pid;
}

int wait_child(pid_t pid) {
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

// In a child: fills the entry for `k` through netfs, without committing. 0 on success.
int fill_uncommitted(const std::string& dir, const Key& k, const std::vector<std::byte>& content,
                     std::shared_ptr<Object>& keep) {
    auto c = Cache::open(dir, {});
    if (!c) return 10;
    auto o = (*c)->open_object(k, coh(content.size()));
    if (!o) return 11;
    keep = *o;
    // Never destroyed: the child ends with _exit.
    auto* reader = new FakeReader(content);
    auto* ctx = new netfs::Context;
    auto& f = *new netfs::File(*ctx, read_options(*reader, keep.get(), content.size()));
    std::vector<std::byte> buf(content.size());
    for (uint64_t pos = 0; pos < buf.size();) {
        auto r = f.read(pos, std::span(buf).subspan(pos));
        if (!r || *r == 0) return 12;
        pos += *r;
    }
    if (f.flush() || buf != content || !keep->usable()) return 13;
    return 0;
}

}  // namespace

TEST_CASE("an entry a crashed process left in use is discarded, never served") {
    testutil::TempDir dir("netcp-cache");
    const auto content = testutil::random_bytes(2 << 20, 11);
    {
        // A good version first, committed: the crash must not resurrect it either.
        auto c = open_cache(dir.path());
        fill(*c, key(1), content);
    }
    const auto changed = testutil::random_bytes(2 << 20, 12);
    const pid_t pid = child([&] {
        std::shared_ptr<Object> keep;
        // The same coherency (an upload that had not reached the server when we died).
        auto c = Cache::open(dir.path().string(), {});
        if (!c) return 10;
        auto o = (*c)->open_object(key(1), coh(content.size()));
        if (!o) return 11;
        keep = *o;
        testnetfs::FakeBackend::Options uo;
        uo.content_size = 4 << 20;
        testnetfs::FakeBackend upload(uo);
        netfs::Context ctx;
        netfs::FileOptions fo;
        fo.streams = {{&upload, 32u << 20}};
        fo.cache = keep.get();
        fo.remote_size = content.size();
        netfs::File f(ctx, fo);
        if (!f.write(0, changed) || f.flush()) return 12;
        ::_exit(0);  // the crash: no commit, no destructor
    });
    REQUIRE(wait_child(pid) == 0);

    auto c = open_cache(dir.path());
    auto list = c->list();
    REQUIRE(list.size() == 1);
    CHECK(list[0].in_use);  // torn: marked, and nobody holds it
    auto obj = open_object(*c, key(1), coh(content.size()));
    CHECK(!obj->next_present(0));
    const auto s = c->stats();
    CHECK(s.discarded_torn == 1);
    CHECK(s.hits == 0);
    // The entry works again from scratch.
    FakeReader reader(content);
    auto r = read_through(reader, obj.get());
    CHECK(r.data == content);
    REQUIRE(!obj->commit());
    obj.reset();
    obj = open_object(*c, key(1), coh(content.size()));
    std::vector<std::byte> back(content.size());
    REQUIRE(!obj->read(0, back));
    CHECK(back == content);
}

TEST_CASE("a child that dies mid-fill leaves a torn entry, which cull() removes") {
    testutil::TempDir dir("netcp-cache");
    const auto content = testutil::random_bytes(1 << 20, 13);
    for (int i = 1; i <= 2; ++i) {
        const pid_t pid = child([&] {
            std::shared_ptr<Object> keep;
            ::_exit(fill_uncommitted(dir.path().string(), key(i), content, keep));
            return 0;
        });
        REQUIRE(wait_child(pid) == 0);
    }
    auto c = open_cache(dir.path());
    CHECK(c->list().size() == 2);
    REQUIRE(!c->cull());  // housekeeping: torn entries go
    CHECK(c->list().empty());
    CHECK(c->stats().discarded_torn == 2);
}

TEST_CASE("an entry held by a live process is refused to others, and neither culled nor cleared") {
    testutil::TempDir dir("netcp-cache");
    const auto content = testutil::random_bytes(1 << 20, 14);
    int ready[2], go[2];
    REQUIRE(::pipe(ready) == 0);
    REQUIRE(::pipe(go) == 0);
    const pid_t pid = child([&] {
        std::shared_ptr<Object> keep;
        const int rc = fill_uncommitted(dir.path().string(), key(1), content, keep);
        if (rc != 0) return rc;
        if (keep->commit()) return 14;
        char b = 1;
        if (::write(ready[1], &b, 1) != 1) return 15;
        if (::read(go[0], &b, 1) < 0) return 16;  // wait, holding the entry
        keep.reset();
        return 0;
    });
    char b;
    REQUIRE(::read(ready[0], &b, 1) == 1);

    auto c = open_cache(dir.path());
    auto busy = c->open_object(key(1), coh(content.size()));
    REQUIRE(!busy);
    CHECK(busy.error() == std::errc::device_or_resource_busy);
    auto list = c->list();
    REQUIRE(list.size() == 1);
    CHECK(list[0].in_use);  // held, not marked: committed by its holder
    auto tiny = open_cache(dir.path(), /*limit=*/1);  // everything is over this limit
    REQUIRE(!tiny->cull());
    CHECK(tiny->stats().cached_bytes == content.size());
    CHECK(*c->clear() == 0);
    CHECK(c->list().size() == 1);

    REQUIRE(::write(go[1], &b, 1) == 1);
    REQUIRE(wait_child(pid) == 0);
    for (int fd : {ready[0], ready[1], go[0], go[1]}) ::close(fd);
    CHECK(!c->list().at(0).in_use);
    auto c2 = open_cache(dir.path());
    auto obj = open_object(*c2, key(1), coh(content.size()));
    CHECK(c2->stats().hits == 1);
    std::vector<std::byte> back(content.size());
    REQUIRE(!obj->read(0, back));
    CHECK(back == content);
}

TEST_CASE("two Cache instances on one directory") {
    testutil::TempDir dir("netcp-cache");
    const auto content = testutil::random_bytes(512 << 10, 15);
    auto a = open_cache(dir.path());
    auto b = open_cache(dir.path());
    fill(*a, key(1), content);
    fill(*b, key(2), content);
    auto held = open_object(*a, key(1), coh(content.size()));
    // One live object per entry, whoever asks.
    auto again = b->open_object(key(1), coh(content.size()));
    REQUIRE(!again);
    CHECK(again.error() == std::errc::device_or_resource_busy);
    auto twice = a->open_object(key(1), coh(content.size()));
    CHECK(!twice);
    // b sees a's entries, and cannot clear the one a holds.
    CHECK(b->list().size() == 2);
    CHECK(*b->clear() == 1);
    auto left = b->list();
    REQUIRE(left.size() == 1);
    CHECK(left[0].key == key(1));
    CHECK(left[0].in_use);
    std::vector<std::byte> back(content.size());
    REQUIRE(!held->read(0, back));
    CHECK(back == content);
    held.reset();
    auto obj = open_object(*b, key(1), coh(content.size()));
    CHECK(obj->next_present(0));
}
