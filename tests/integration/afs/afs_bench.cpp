// One timed store or fetch of a whole file through libafs, for bench/bench-afs.sh.
//
//   afs_bench ENV_FILE store|fetch PATH SIZE_MIB none|clear|auth|crypt [USER] [CHUNK_MIB] [DEPTH]
//
// ENV_FILE is the test cell's env file (fixtures/openafs/cell.sh); USER (default bob) is
// who rxkad speaks as, with a token minted from the cell's KeyFile. Prints the seconds the
// transfer took (resolving and creating the file excluded) and nothing else on stdout;
// errors go to stderr with exit status 1.
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <map>
#include <random>
#include <string>

#include "libafs/client/blocking.hpp"
#include "libafs/crypto/keyfile.hpp"
#include "libafs/crypto/token.hpp"

using namespace afs;
using namespace afs::client;

namespace {

int die(const std::string& message) {
    std::fprintf(stderr, "afs_bench: %s\n", message.c_str());
    return 1;
}

std::map<std::string, std::string> read_env(const std::string& path) {
    std::map<std::string, std::string> env;
    std::ifstream in(path);
    std::string line;
    while (std::getline(in, line))
        if (auto eq = line.find('='); eq != std::string::npos) env[line.substr(0, eq)] = line.substr(eq + 1);
    return env;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc < 6)
        return die("usage: afs_bench ENV_FILE store|fetch PATH SIZE_MIB none|clear|auth|crypt [USER] [CHUNK_MIB] [DEPTH]");
    auto env = read_env(argv[1]);
    const std::string mode = argv[2], path = argv[3], level = argv[5];
    const uint64_t size = std::stoull(argv[4]) << 20;
    const std::string user = argc > 6 ? argv[6] : "bob";
    TransferOptions transfer;
    if (argc > 7) transfer.chunk = std::stoull(argv[7]) << 20;
    if (argc > 8) transfer.depth = std::stoul(argv[8]);
    if (env["AFS_CELL"].empty()) return die(std::string("no AFS_CELL in ") + argv[1]);

    Identity who = anonymous();
    if (level != "none") {
        auto keys = crypto::KeyFile::load(env["AFS_KEYFILE"]);
        if (!keys) return die("KeyFile " + env["AFS_KEYFILE"] + ": " + keys.error().message());
        auto token = crypto::mint_token(*keys, crypto::Principal(user), std::chrono::hours(4));
        if (!token) return die("token: " + token.error().message());
        const auto l = level == "clear" ? crypto::Level::clear : level == "auth" ? crypto::Level::auth : crypto::Level::crypt;
        who = rxkad(*token, l);
    }

    ClientOptions options;
    auto cell = make_cell(env["AFS_CELL"], {env["AFS_VLSERVER"]});
    if (!cell) return die("cell: " + cell.error().message());
    options.cells.push_back(*cell);
    auto client = BlockingClient::create(options);
    if (!client) return die("client: " + client.error().message());
    auto& c = **client;

    FileRef file;
    if (auto node = c.resolve(who, path)) {
        file = node->ref;
    } else if (mode == "store" && node.error().code == std::errc::no_such_file_or_directory) {
        auto created = c.create_file(who, path);
        if (!created) return die(created.error().message());
        file = created->file;
    } else {
        return die(node.error().message());
    }

    double seconds = 0;
    if (mode == "store") {
        // One chunk of random bytes, copied into each piece (the copy is part of the cost,
        // as reading a file would be).
        std::vector<std::byte> pattern(static_cast<size_t>(transfer.chunk));
        std::mt19937_64 rng(42);
        for (size_t i = 0; i + 8 <= pattern.size(); i += 8) {
            const uint64_t v = rng();
            std::memcpy(pattern.data() + i, &v, 8);
        }
        const auto t0 = std::chrono::steady_clock::now();
        auto r = c.upload(who, file, size,
                          [&](uint64_t, std::span<std::byte> buf) {
                              std::memcpy(buf.data(), pattern.data(), buf.size());
                              return std::error_code{};
                          },
                          std::nullopt, transfer);
        seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        if (!r) return die(r.error().message());
        if (r->status.length() != size) return die("the stored file has the wrong length");
    } else if (mode == "fetch") {
        uint64_t got = 0;
        const auto t0 = std::chrono::steady_clock::now();
        auto r = c.download(who, file,
                            [&](uint64_t, std::span<const std::byte> data) {
                                got += data.size();
                                return std::error_code{};
                            },
                            transfer);
        seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        if (!r) return die(r.error().message());
        if (got != size) return die("fetched " + std::to_string(got) + " bytes, expected " + std::to_string(size));
    } else {
        return die("mode must be store or fetch");
    }
    std::printf("%.6f\n", seconds);
    return 0;
}
