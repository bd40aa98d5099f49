// A cache write that fails (here EFBIG, injected with RLIMIT_FSIZE, which works as root
// where a read-only directory would not) turns caching off for the object without failing
// or disturbing the reader.
#include <signal.h>
#include <sys/resource.h>

#include "cache_env.hpp"

using namespace cachetest;
using testnetfs::FakeReader;

namespace {

// Files of this process cannot grow past `bytes` while it lives; SIGXFSZ is ignored so
// the write fails with EFBIG instead of killing us.
class FileSizeLimit {
public:
    explicit FileSizeLimit(rlim_t bytes) {
        REQUIRE(::getrlimit(RLIMIT_FSIZE, &saved_) == 0);
        old_handler_ = ::signal(SIGXFSZ, SIG_IGN);
        rlimit r = saved_;
        r.rlim_cur = bytes;
        REQUIRE(::setrlimit(RLIMIT_FSIZE, &r) == 0);
    }
    ~FileSizeLimit() {
        ::setrlimit(RLIMIT_FSIZE, &saved_);
        ::signal(SIGXFSZ, old_handler_);
    }

private:
    rlimit saved_{};
    sighandler_t old_handler_;
};

}  // namespace

TEST_CASE("a failed cache write makes the object unusable, and the reader still gets every byte") {
    testutil::TempDir dir("netcp-cache");
    const auto content = testutil::random_bytes(4 << 20, 31);
    auto c = open_cache(dir.path());
    const auto good = testutil::random_bytes(512 << 10, 32);
    fill(*c, key(2), good);  // another entry, unaffected
    {
        auto obj = open_object(*c, key(1), coh(content.size()));
        FakeReader reader(content);
        ReadResult r;
        {
            FileSizeLimit limit(1 << 20);  // the backing file stops at 1 MiB
            r = read_through(reader, obj.get());
        }
        CHECK(r.data == content);
        CHECK(!r.flush);  // the cache's failure is not the reader's
        CHECK(!obj->usable());
        const std::string why = obj->failure();
        CHECK_MESSAGE(why.find("cache write failed: File too large (") == 0, why);
        CHECK_MESSAGE(why.find(dir.path().string()) != std::string::npos, why);
        CHECK(!obj->next_present(0));
        std::vector<std::byte> buf(10);
        CHECK(obj->read(0, buf));
        // Later writes are refused at once; reading goes on from the server.
        auto again = read_through(reader, obj.get());
        CHECK(again.data == content);
        CHECK(!again.flush);
        CHECK(!obj->commit());
    }
    // Nothing of it is kept or served next time; the other entry is intact.
    auto obj = open_object(*c, key(1), coh(content.size()));
    CHECK(!obj->next_present(0));
    auto other = open_object(*c, key(2), coh(good.size()));
    std::vector<std::byte> back(good.size());
    REQUIRE(!other->read(0, back));
    CHECK(back == good);
}
