// Rreaddir payloads: decode_dirents(), and re-encoding the entries with encode_dirent()
// must give back exactly the payload.
#include <cstring>
#include <vector>

#include "fuzz_common.hpp"
#include "lib9p/wire.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    auto in = netcp_fuzz::bytes(data, size);
    auto ents = p9::decode_dirents(in);
    if (!ents) return 0;
    std::vector<std::byte> out;
    for (const auto& d : *ents) {
        FUZZ_CHECK(!p9::encode_dirent(out, d));
        (void)p9::is_valid_name(d.name);
    }
    FUZZ_CHECK(out.size() == size);
    FUZZ_CHECK(size == 0 || std::memcmp(out.data(), data, size) == 0);
    return 0;
}
