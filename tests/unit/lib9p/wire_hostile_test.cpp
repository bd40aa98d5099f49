// Malformed input: every decode gives an error, never a crash or a read outside the
// frame (the sanitizer build checks the latter).
#include <doctest/doctest.h>

#include <random>

#include "lib9p/wire.hpp"

using namespace p9;

namespace {

std::vector<std::byte> frame_of(const Message& m) { return *encode(5, m); }

void set_size(std::vector<std::byte>& f, uint32_t size) {
    for (int i = 0; i < 4; ++i) f[i] = std::byte(static_cast<uint8_t>(size >> (8 * i)));
}

const std::vector<Message>& corpus() {
    static const std::array<std::byte, 3> data{std::byte{1}, std::byte{2}, std::byte{3}};
    static const std::vector<Message> m{
        Rversion{65536, "9P2000.L"}, Rattach{Qid{0x80, 0, 1}}, Rwalk{{Qid{}, Qid{}}}, Rlopen{Qid{}, 0},
        Rread{{data}}, Rwrite{3}, Rgetattr{}, Rreaddir{{data}}, Rstatfs{}, Rreadlink{"target"},
        Rgetlock{1, 2, 3, 4, "client"}, Rlerror{5}, Twalk{1, 2, {"a", "b"}}, Tlcreate{1, "n", 0, 0, 0},
        Twrite{1, 0, {data}}, Tlock{1, 1, 0, 0, 0, 0, "c"}};
    return m;
}

}  // namespace

TEST_CASE("a frame cut short anywhere is an error") {
    for (const auto& m : corpus()) {
        auto f = frame_of(m);
        CAPTURE(to_string(m));
        for (size_t n = 0; n < f.size(); ++n) {
            std::vector<std::byte> cut(f.begin(), f.begin() + static_cast<ptrdiff_t>(n));
            // As delivered: the size field still claims the whole frame.
            CHECK(!decode(cut));
            // As if the size field had been fixed up to the short length: fields run out.
            if (n >= header_size) {
                set_size(cut, static_cast<uint32_t>(n));
                auto r = decode(cut);
                CHECK(!r);
                if (!r) CHECK((r.error() == errc::truncated || r.error() == errc::trailing_bytes));
            }
        }
    }
}

TEST_CASE("size fields that lie are errors") {
    auto f = frame_of(Rwrite{3});
    for (uint32_t bad : {0u, 1u, 6u, static_cast<uint32_t>(f.size() - 1), static_cast<uint32_t>(f.size() + 1),
                         0xFFFFFFFFu}) {
        auto g = f;
        set_size(g, bad);
        CAPTURE(bad);
        CHECK(!decode(g));
    }
    auto extra = f;
    extra.push_back(std::byte{0});
    set_size(extra, static_cast<uint32_t>(extra.size()));
    CHECK(decode(extra).error() == errc::trailing_bytes);
}

TEST_CASE("frame_size checks the header against msize") {
    std::vector<std::byte> h{std::byte{0x10}, std::byte{0}, std::byte{0}, std::byte{0}};
    CHECK(*frame_size(h, 8192) == 16);
    CHECK(frame_size(h, 15).error() == errc::message_too_large);
    h[0] = std::byte{6};
    CHECK(frame_size(h, 8192).error() == errc::bad_size);
    CHECK(frame_size(std::span(h).first(3), 8192).error() == errc::truncated);
    std::vector<std::byte> huge{std::byte{0xff}, std::byte{0xff}, std::byte{0xff}, std::byte{0x7f}};
    CHECK(frame_size(huge, 1u << 20).error() == errc::message_too_large);
}

TEST_CASE("strings and payloads whose lengths overrun the frame are errors") {
    SUBCASE("a string length beyond the frame") {
        auto f = frame_of(Rreadlink{"abc"});
        f[7] = std::byte{0xff};  // length low byte
        f[8] = std::byte{0xff};  // length high byte: 65535 bytes claimed, 3 present
        CHECK(decode(f).error() == errc::truncated);
    }
    SUBCASE("an Rread count beyond the frame") {
        auto f = frame_of(Rread{{}});
        f[7] = std::byte{0x00};
        f[8] = std::byte{0x00};
        f[9] = std::byte{0x01};  // 65536 bytes claimed
        CHECK(decode(f).error() == errc::truncated);
    }
    SUBCASE("an Rwalk with more than 16 qids") {
        auto f = frame_of(Rwalk{{}});
        f[7] = std::byte{17};
        CHECK(decode(f).error() == errc::too_many_elements);
    }
    SUBCASE("a Twalk with more than 16 names") {
        auto f = frame_of(Twalk{1, 2, {}});
        f[15] = std::byte{0xff};
        CHECK(decode(f).error() == errc::too_many_elements);
    }
    SUBCASE("directory entries cut short") {
        std::vector<std::byte> d;
        REQUIRE(!encode_dirent(d, Dirent{Qid{}, 1, dtype::reg, "name"}));
        for (size_t n = 1; n < d.size(); ++n) CHECK(!decode_dirents(std::span(d).first(n)));
        d[22] = std::byte{0xff};  // name length overruns
        CHECK(!decode_dirents(d));
    }
}

TEST_CASE("unknown and client-unused message types are rejected") {
    auto f = frame_of(Rclunk{});
    int unknown = 0;
    for (int t = 0; t < 256; ++t) {
        f[4] = std::byte(static_cast<uint8_t>(t));
        auto r = decode(f);
        if (!r && r.error() == errc::unknown_type) ++unknown;
    }
    // Every type outside 9P2000.L but the legacy Rerror (below).
    CHECK(unknown == 256 - static_cast<int>(std::variant_size_v<Message>) - 1);
    // Legacy 9P2000 Tstat (124) is not 9P2000.L.
    for (int t : {6, 112, 124, 126}) {
        f[4] = std::byte(static_cast<uint8_t>(t));
        CHECK(decode(f).error() == errc::unknown_type);
    }
}

TEST_CASE("the legacy Rerror (107) is read as the error it carries, and only in its three forms") {
    auto frame107 = [](std::vector<std::byte> body) {
        std::vector<std::byte> f(header_size);
        f[4] = std::byte{107};
        f[5] = std::byte{0x34};
        f.insert(f.end(), body.begin(), body.end());
        set_size(f, static_cast<uint32_t>(f.size()));
        return f;
    };
    auto le32 = [](uint32_t v) {
        std::vector<std::byte> b;
        for (int i = 0; i < 4; ++i) b.push_back(std::byte(static_cast<uint8_t>(v >> (8 * i))));
        return b;
    };
    auto str = [](std::string_view s) {
        std::vector<std::byte> b{std::byte(static_cast<uint8_t>(s.size())), std::byte{0}};
        for (char c : s) b.push_back(std::byte(static_cast<uint8_t>(c)));
        return b;
    };
    auto ecode_of = [](const result<Frame>& r) {
        REQUIRE(r);
        CHECK(r->tag == 0x34);
        REQUIRE(std::holds_alternative<Rlerror>(r->msg));
        return std::get<Rlerror>(r->msg).ecode;
    };
    // nfs-ganesha's form: a bare errno, as in Rlerror.
    CHECK(ecode_of(decode(frame107(le32(2)))) == 2);
    // 9P2000.u: ename[s] errno[4].
    auto u = str("Permission denied");
    auto e13 = le32(13);
    u.insert(u.end(), e13.begin(), e13.end());
    CHECK(ecode_of(decode(frame107(u))) == 13);
    // 9P2000: ename[s] alone is EIO.
    CHECK(ecode_of(decode(frame107(str("no such file")))) == 5);
    // Anything else is not a message.
    CHECK(!decode(frame107({})));
    auto bad = str("abc");
    bad.push_back(std::byte{1});
    CHECK(decode(frame107(bad)).error() == errc::trailing_bytes);
    auto overrun = str("abc");
    overrun[0] = std::byte{200};
    CHECK(!decode(frame107(overrun)));
}

TEST_CASE("random garbage: errors or canonical messages, never a crash") {
    std::mt19937 rng(1234);
    int decoded = 0, rreads = 0;
    for (int i = 0; i < 20000; ++i) {
        std::vector<std::byte> f(rread_header_size + rng() % 64);
        for (auto& b : f) b = std::byte(static_cast<uint8_t>(rng()));
        if (i % 2) set_size(f, static_cast<uint32_t>(f.size()));  // half of them with an honest size
        if (i % 4 == 1) {
            // An Rread with a random count: valid exactly when the count fills the frame.
            f[4] = std::byte{117};
            if (i % 8 == 1) {
                const uint32_t count = static_cast<uint32_t>(f.size() - rread_header_size);
                for (int k = 0; k < 4; ++k) f[7 + k] = std::byte(static_cast<uint8_t>(count >> (8 * k)));
            }
            const uint32_t count = uint32_t(f[7]) | uint32_t(f[8]) << 8 | uint32_t(f[9]) << 16 | uint32_t(f[10]) << 24;
            CHECK(bool(decode(f)) == (count == f.size() - rread_header_size));
            ++rreads;
        }
        auto r = decode(f);
        if (r && f[4] == std::byte{107}) {
            CHECK(std::holds_alternative<Rlerror>(r->msg));  // the legacy Rerror, read as Rlerror
        } else if (r) {
            // Whatever decodes re-encodes to exactly the same bytes: nothing was skipped.
            ++decoded;
            CHECK(*encode(r->tag, r->msg) == f);
            CHECK(!to_string(r->msg).empty());
        }
        (void)decode_dirents(std::span(f).subspan(header_size));
    }
    CHECK(rreads == 5000);
    CHECK(decoded >= 2500);  // at least the crafted valid Rreads
}
