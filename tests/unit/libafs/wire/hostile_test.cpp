// Garbage in: every decoder either fails or yields a value that accounts for every byte.
// (The sanitizer build checks that nothing is read outside the input.)
#include <doctest/doctest.h>

#include <random>

#include "libafs/wire/cb.hpp"
#include "libafs/wire/fs.hpp"
#include "libafs/wire/vl.hpp"
#include "wire_test_util.hpp"

using namespace afs;
using namespace afs::wire;
using namespace wire_test;

namespace {

// `n` words that are mostly small (so counts and lengths are sometimes honest and chars
// valid), sometimes anything, sometimes negative chars.
Bytes random_words(std::mt19937& rng, size_t n) {
    Bytes out;
    for (size_t i = 0; i < n; ++i) {
        uint32_t w = 0;
        switch (rng() % 4) {
            case 0: w = rng() % 4; break;
            case 1: w = rng() % 128; break;
            case 2: w = 0xFFFFFF80u | (rng() & 0x7F); break;
            default: w = static_cast<uint32_t>(rng()); break;
        }
        out = cat({out, words({w})});
    }
    return out;
}

// Up to `max_words` such words, now and then with an unaligned tail.
Bytes garbage(std::mt19937& rng, size_t max_words) {
    Bytes out = random_words(rng, rng() % (max_words + 1));
    if (rng() % 8 == 0) out.push_back(std::byte(static_cast<uint8_t>(rng())));
    return out;
}

// A valid encoding with a few words replaced by random ones, and sometimes cut or extended:
// input close enough to real replies to get past the first fields.
Bytes mutated(std::mt19937& rng, const Bytes& valid) {
    Bytes out = valid;
    const size_t n_words = out.size() / 4;
    const int changes = 1 + static_cast<int>(rng() % 4);
    for (int k = 0; k < changes && n_words > 0; ++k) {
        const size_t at = (rng() % n_words) * 4;
        const Bytes w = random_words(rng, 1);
        std::copy(w.begin(), w.end(), out.begin() + static_cast<std::ptrdiff_t>(at));
    }
    switch (rng() % 6) {
        case 0: out.resize(rng() % (out.size() + 1)); break;
        case 1: out = cat({out, random_words(rng, 1 + rng() % 3)}); break;
        default: break;
    }
    return out;
}

// Whatever decodes re-encodes to the same number of bytes and decodes to the same value;
// for `canonical` types (only plain words and counted arrays: one encoding per value) to
// the very same bytes. Returns how many inputs decoded.
template <class T>
int check_garbage(const char* what, const T& sample, bool canonical, int rounds = 4000) {
    CAPTURE(what);
    const Bytes valid = *xdr::encode(sample);
    std::mt19937 rng(static_cast<unsigned>(std::hash<std::string_view>{}(what)));
    int decoded = 0;
    for (int i = 0; i < rounds; ++i) {
        const Bytes in = i % 2 ? garbage(rng, valid.size() / 4 + 8) : mutated(rng, valid);
        auto v = xdr::decode<T>(in);
        if (!v) continue;
        ++decoded;
        auto again = xdr::encode(*v);
        REQUIRE(again);
        CHECK(again->size() == in.size());
        if (canonical) CHECK(*again == in);
        auto back = xdr::decode<T>(*again);
        REQUIRE(back);
        CHECK(*back == *v);
    }
    return decoded;
}

}  // namespace

TEST_CASE("garbage replies: errors or values that account for every byte") {
    const AFSFetchStatus st{};
    const AFSCallBack cb{1, 60, 1};
    const AFSVolSync vs{};
    const interfaceAddr addr{2, *afsUUID::parse("0f1e2d3c-4b5a-4978-8796-a5b4c3d2e1f0"), {}, {}, {}};
    vl::nvldbentry entry;
    entry.name = "root.cell";
    entry.nservers = 2;

    CHECK(check_garbage<fs::StatusCallBackAndSync>("FetchStatus", {st, cb, vs}, true) > 0);
    CHECK(check_garbage<fs::StatusAndSync>("StoreData64", {st, vs}, true) > 0);
    CHECK(check_garbage<fs::CreateReply>("CreateFile", {{1, 2, 3}, st, st, cb, vs}, true) > 0);
    CHECK(check_garbage<fs::InlineBulkStatus::Reply>("InlineBulkStatus", {{st, st}, {cb, cb}, vs}, true) > 0);
    CHECK(check_garbage<fs::GetCapabilities::Reply>("GetCapabilities", {{1, 2}}, true) > 0);
    CHECK(check_garbage<fs::FetchACL::Reply>("FetchACL", {"0\n0\n", st, vs}, false) > 0);
    CHECK(check_garbage<fs::GetVolumeStatus::Reply>("GetVolumeStatus", {{}, "vol", "", "motd"}, false) > 0);
    CHECK(check_garbage<vl::GetAddrsU::Reply>("GetAddrsU", {{}, 1, 2, {1, 2}}, false) > 0);
    CHECK(check_garbage<vl::nvldbentry>("nvldbentry", entry, false) > 0);
    CHECK(check_garbage<interfaceAddr>("interfaceAddr", addr, false) > 0);
    CHECK(check_garbage<cb::TellMeAboutYourself::Reply>("TellMeAboutYourself", {addr, {1}}, false) > 0);
}

TEST_CASE("garbage calls to the callback service: decoded, refused, or unknown") {
    std::mt19937 rng(4242);
    const uint32_t ops[] = {204, 205, 206, 212, 213, 214, 65538, 207, 0xFFFFFFFF};
    int decoded = 0, unknown = 0;
    for (int i = 0; i < 20000; ++i) {
        // Arguments of the sizes these calls have (none, a UUID) as well as of any size.
        const size_t shape = rng() % 3;
        const Bytes args = shape == 0 ? Bytes{} : shape == 1 ? random_words(rng, 11) : garbage(rng, 40);
        const Bytes in = cat({words({ops[rng() % std::size(ops)]}), args});
        auto call = cb::decode_call(in);
        if (!call) {
            unknown += cb::is_unknown_opcode(call.error());
            continue;
        }
        ++decoded;
        const auto again = std::visit(
            [](const auto& r) { return *encode_request<typename std::decay_t<decltype(r)>::rpc>(r); }, *call);
        CHECK(again.size() == in.size());
        CHECK(*cb::decode_call(again) == *call);
    }
    CHECK(decoded > 1000);
    CHECK(unknown > 1000);
}

TEST_CASE("every length of every request cut short fails") {
    const AFSFid fid{1, 2, 3};
    const std::vector<Bytes> requests = {
        *encode_request<vl::GetEntryByNameN>({"root.cell"}),
        *encode_request<vl::GetAddrsU>({vl::ListAddrByAttributes::by_uuid({})}),
        *encode_request<cb::CallBack>({{fid, fid}, {{1, 60, 1}}}),
        *encode_request<cb::ProbeUuid>({{}}),
    };
    for (const auto& r : requests) {
        for (size_t n = 0; n < r.size(); ++n) {
            CAPTURE(n);
            const Bytes cut = prefix(r, n);
            CHECK(!cb::decode_call(cut));  // truncated, or (VL opcodes) unknown to the CB service
            CHECK(!decode_request<vl::GetEntryByNameN>(cut));
            CHECK(!decode_request<vl::GetAddrsU>(cut));
            CHECK(!decode_request<cb::CallBack>(cut));
            CHECK(!decode_request<cb::ProbeUuid>(cut));
        }
    }
}
