// Throughput of fcrypt and of rxkad crypt-level sealing. Not a test: run it by hand,
// from an optimised build, e.g.  libafs_crypto_bench [megabytes]
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <vector>

#include "libafs/crypto/fcrypt.hpp"
#include "libafs/crypto/rxkad.hpp"
#include "libafs/crypto/rxkad_server.hpp"

using namespace afs::crypto;
using Clock = std::chrono::steady_clock;

namespace {

double seconds_since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

}  // namespace

int main(int argc, char** argv) {
    const size_t megabytes = argc > 1 ? std::strtoul(argv[1], nullptr, 10) : 256;
    const size_t packet = 1408;  // the user data of one 1444-byte Rx packet at level crypt
    const size_t packets = megabytes * 1024 * 1024 / packet;
    Key key = *Key::from_hex("0123456789abcdef");
    Fcrypt f(key);
    std::vector<std::byte> buf(packet + 8, std::byte{0x5a});

    auto t0 = Clock::now();
    for (size_t i = 0; i < packets; ++i) f.pcbc_encrypt(std::span(buf).first(packet), key);
    double enc = seconds_since(t0);
    t0 = Clock::now();
    for (size_t i = 0; i < packets; ++i) f.pcbc_decrypt(std::span(buf).first(packet), key);
    double dec = seconds_since(t0);

    auto token = *Token::make(Principal{"bench"}, key, 1, std::vector<std::byte>(40), 0, never_expires);
    RxkadClient client(token, Level::crypt);
    afs::rx::ConnectionIdentity id{0x81234567, 0x100, 1, 2, true};
    auto conn = client.new_connection(id);
    const size_t user = conn->max_user_data(1416);
    t0 = Clock::now();
    for (size_t i = 0; i < packets; ++i) {
        uint16_t checksum = 0;
        afs::rx::PacketIdentity p{1, static_cast<uint32_t>(i + 1), 0};
        auto n = conn->seal(p, buf, user, checksum);
        auto s = conn->unseal(p, std::span(buf).first(*n), checksum);
        if (!s) return 1;
    }
    double both = seconds_since(t0);

    const double mb = double(packets * packet) / (1024 * 1024);
    std::printf("fcrypt PCBC encrypt: %.1f MB/s\n", mb / enc);
    std::printf("fcrypt PCBC decrypt: %.1f MB/s\n", mb / dec);
    std::printf("rxkad crypt seal+unseal of %zu-byte packets: %.1f MB/s of user data each way (%.0f packets/s)\n",
                user, double(packets * user) / (1024 * 1024) / both, double(packets) / both);
    return 0;
}
