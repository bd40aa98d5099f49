// 256 MiB stored and fetched back through the real fileserver with identical SHA-256:
// anonymously (rxnull, in anon-rw) and as bob with rxkad at the clear, auth and crypt levels
// (in bob-only). The data is generated and hashed as it streams, so no test holds the file.
#include <doctest/doctest.h>
#include <openssl/evp.h>

#include <chrono>
#include <cstring>
#include <memory>

#include "afs_cell.hpp"

using namespace afs;
using namespace afs::client;
using afstest::AfsCell;

namespace {

constexpr uint64_t total = 256ull << 20;

// Pseudo-random bytes that depend only on (seed, offset): any chunk can be made on its own.
void fill(std::span<std::byte> out, uint64_t offset, uint64_t seed) {
    for (size_t i = 0; i < out.size();) {
        const uint64_t word = (offset + i) / 8;
        uint64_t z = seed + word * 0x9E3779B97F4A7C15ull;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
        z ^= z >> 31;
        const size_t from = static_cast<size_t>((offset + i) % 8);
        const size_t n = std::min(out.size() - i, 8 - from);
        std::memcpy(out.data() + i, reinterpret_cast<const std::byte*>(&z) + from, n);
        i += n;
    }
}

using testutil::Sha256;

void round_trip(const std::string& dir, const Identity& who, const std::string& label) {
    const auto& cell = AfsCell::get();
    auto c = cell.client();
    const std::string path = dir + "/" + AfsCell::unique_name("bulk");
    auto created = c->create_file(who, path);
    REQUIRE_MESSAGE(created, created.error().message());
    const uint64_t seed = std::hash<std::string>{}(path);

    Sha256 sent;
    auto t0 = std::chrono::steady_clock::now();
    auto stored = c->upload(who, created->file, total, [&](uint64_t offset, std::span<std::byte> buf) {
        fill(buf, offset, seed);
        sent.update(buf);
        return std::error_code{};
    });
    const double store_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    REQUIRE_MESSAGE(stored, stored.error().message());
    CHECK(stored->status.length() == total);

    auto st = c->fetch_status(who, created->file);
    REQUIRE_MESSAGE(st, st.error().message());
    CHECK(st->status.length() == total);

    Sha256 received;
    uint64_t next = 0;
    t0 = std::chrono::steady_clock::now();
    auto fetched = c->download(who, created->file, [&](uint64_t offset, std::span<const std::byte> data) {
        CHECK(offset == next);
        next += data.size();
        received.update(data);
        return std::error_code{};
    });
    const double fetch_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    REQUIRE_MESSAGE(fetched, fetched.error().message());
    CHECK(*fetched == total);
    const std::string a = sent.hex(), b = received.hex();
    CHECK(a == b);
    MESSAGE(label << ": 256 MiB stored at " << 256 / store_s << " MiB/s, fetched at " << 256 / fetch_s
                  << " MiB/s, SHA-256 " << a);
    const auto stats = c->async().stats();
    MESSAGE(label << ": " << stats.rx.engine.retransmissions << " retransmissions, " << stats.fs_calls << " FS calls");
    REQUIRE(c->remove_file(who, path));
}

}  // namespace

TEST_CASE("256 MiB round trip, rxnull (anonymous) in anon-rw") {
    round_trip(AfsCell::get().anon_rw_dir, anonymous(), "rxnull");
}

TEST_CASE("256 MiB round trip, rxkad clear as bob in bob-only") {
    const auto& cell = AfsCell::get();
    round_trip(cell.bob_only_dir, cell.user("bob", crypto::Level::clear), "rxkad clear");
}

TEST_CASE("256 MiB round trip, rxkad auth as bob in bob-only") {
    const auto& cell = AfsCell::get();
    round_trip(cell.bob_only_dir, cell.user("bob", crypto::Level::auth), "rxkad auth");
}

TEST_CASE("256 MiB round trip, rxkad crypt as bob in bob-only") {
    const auto& cell = AfsCell::get();
    round_trip(cell.bob_only_dir, cell.user("bob", crypto::Level::crypt), "rxkad crypt");
}
