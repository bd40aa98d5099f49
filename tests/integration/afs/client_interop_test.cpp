// libafs and OpenAFS's own client tools on the same cell: files libafs writes are read by
// `afsio read`, files `afsio write` writes are read by libafs; and a volume taken offline
// (vos offline) in the middle of a transfer gives a clear error or a successful retry, never
// a false success.
#include <doctest/doctest.h>

#include <chrono>
#include <filesystem>
#include <future>
#include <thread>

#include "afs_cell.hpp"

using namespace afs;
using namespace afs::client;
using afstest::AfsCell;
using namespace std::chrono_literals;

namespace {

// `afsio ARGS` with stdin and stdout redirected, stderr collected.
testutil::CommandResult afsio(const AfsCell& cell, const std::string& args, const std::string& in,
                              const std::string& out) {
    std::string cmd = "( KRB5_CONFIG=" + testutil::shell_quote(cell["AFS_KRB5_CONFIG"]) + " timeout 120 afsio " + args;
    cmd += " <" + testutil::shell_quote(in.empty() ? "/dev/null" : in);
    cmd += " >" + testutil::shell_quote(out.empty() ? "/dev/null" : out) + " )";
    return testutil::run(cmd);
}

std::vector<std::byte> download_all(BlockingClient& c, const Identity& who, const FileRef& f) {
    std::vector<std::byte> data;
    auto r = c.download(who, f, [&](uint64_t, std::span<const std::byte> piece) {
        data.insert(data.end(), piece.begin(), piece.end());
        return std::error_code{};
    });
    REQUIRE_MESSAGE(r, r.error().message());
    return data;
}

}  // namespace

TEST_CASE("files written by libafs are read back by OpenAFS's afsio") {
    const auto& cell = AfsCell::get();
    auto c = cell.client();
    testutil::TempDir tmp("netcp-afs-interop");
    // Past 64 MiB: afsio's reader is right at every size (its writer is not).
    const auto data = testutil::random_bytes(80u << 20, 11);
    const std::string path = cell.anon_rw_dir + "/" + AfsCell::unique_name("to-afsio");
    auto stored = c->write_file(anonymous(), path, data);
    REQUIRE_MESSAGE(stored, stored.error().message());
    CHECK(stored->status.length() == data.size());

    const auto out = tmp / "read";
    const auto t0 = std::chrono::steady_clock::now();
    auto r = afsio(cell, "read -file " + testutil::shell_quote(path), "", out.string());
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    REQUIRE_MESSAGE(r.status == 0, "afsio read: " << r.output);
    CHECK(std::filesystem::file_size(out) == data.size());
    CHECK(testutil::sha256_file(out) == testutil::sha256_hex(data));
    MESSAGE("afsio read 80 MiB written by libafs in " << s << " s");
    REQUIRE(c->remove_file(anonymous(), path));
}

TEST_CASE("files written by OpenAFS's afsio are read by libafs") {
    const auto& cell = AfsCell::get();
    auto c = cell.client();
    testutil::TempDir tmp("netcp-afs-interop");
    // afsio 1.8.9 segfaults creating a file (so libafs creates it) and writes a wrong file
    // above 64 MiB (so this stays below).
    const auto data = testutil::random_bytes(24u << 20, 12);
    const auto in = tmp / "source";
    testutil::write_file(in, data);
    const std::string path = cell.anon_rw_dir + "/" + AfsCell::unique_name("from-afsio");
    auto created = c->create_file(anonymous(), path);
    REQUIRE_MESSAGE(created, created.error().message());

    auto w = afsio(cell, "write -force -file " + testutil::shell_quote(path), in.string(), "");
    REQUIRE_MESSAGE(w.status == 0, "afsio write: " << w.output);

    auto node = c->resolve(anonymous(), path);
    REQUIRE_MESSAGE(node, node.error().message());
    CHECK(node->ref == created->file);
    CHECK(node->status.length() == data.size());
    const auto back = download_all(*c, anonymous(), node->ref);
    CHECK(back.size() == data.size());
    CHECK(testutil::sha256_hex(back) == testutil::sha256_hex(data));
    REQUIRE(c->remove_file(anonymous(), path));
}

TEST_CASE("a volume taken offline mid-transfer: a clear error or a successful retry, never a false success") {
    const auto& cell = AfsCell::get();
    auto options = cell.options();
    options.retry.first_delay = 250ms;
    options.retry.max_delay = 2s;
    options.retry.busy_budget = 30s;
    auto c = cell.client(options);
    const auto who = anonymous();
    const uint64_t size = 128u << 20;
    const auto data = testutil::random_bytes(size, 13);
    const std::string path = cell.anon_rw_dir + "/" + AfsCell::unique_name("offline");
    auto created = c->create_file(who, path);
    REQUIRE_MESSAGE(created, created.error().message());

    // Store in 8 MiB calls; take the volume offline for 3 s once the first calls went out.
    auto upload = std::async(std::launch::async, [&] {
        size_t offset = 0;
        return c->upload(who, created->file, size,
                         [&](uint64_t at, std::span<std::byte> buf) {
                             std::copy_n(data.begin() + static_cast<ptrdiff_t>(at), buf.size(), buf.begin());
                             offset = at;
                             return std::error_code{};
                         },
                         std::nullopt, TransferOptions{8u << 20, 2});
    });
    for (int i = 0; i < 200 && c->async().stats().rx.engine.bytes_sent < (16u << 20); ++i) std::this_thread::sleep_for(5ms);
    const auto t0 = std::chrono::steady_clock::now();
    auto off = cell.vos("offline -server 127.1.0.1 -partition a -id test -sleep 3");
    MESSAGE("vos offline -sleep 3: exit " << off.status << " after "
                                          << std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count()
                                          << " s: " << off.output);
    auto result = upload.get();
    // Whatever happened, the volume must be back for the other tests.
    for (int i = 0; i < 100; ++i) {
        if (cell.vos("examine test").output.find("On-line") != std::string::npos) break;
        cell.vos("online -server 127.1.0.1 -partition a -id test");
        std::this_thread::sleep_for(100ms);
    }
    const auto stats = c->async().stats();
    MESSAGE("busy retries " << stats.busy_retries << ", relocations " << stats.relocations << ", FS calls "
                            << stats.fs_calls);
    if (result) {
        MESSAGE("the upload succeeded (after retries); checking what the server holds");
        CHECK(result->status.length() == size);
        auto node = c->resolve(who, path);
        REQUIRE_MESSAGE(node, node.error().message());
        CHECK(node->status.length() == size);
        const auto back = download_all(*c, who, node->ref);
        CHECK(back.size() == data.size());
        CHECK(testutil::sha256_hex(back) == testutil::sha256_hex(data));
    } else {
        const std::string m = result.error().message();
        MESSAGE("the upload failed: " << m);
        CHECK(m.find("volume test") != std::string::npos);
        CHECK(m.find("RXAFS_StoreData64") != std::string::npos);
    }
    (void)c->remove_file(who, path);
}
