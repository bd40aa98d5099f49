// Server key files: KeyFile::parse() (the classic layout, old fixed-size and 1.8 forms),
// round-tripped through serialize(); parse_keyfile_ext() (KeyFileExt).
#include <cstring>

#include "fuzz_common.hpp"
#include "libafs/crypto/keyfile.hpp"

namespace crypto = afs::crypto;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    auto in = netcp_fuzz::bytes(data, size);
    if (auto kf = crypto::KeyFile::parse(in)) {
        FUZZ_CHECK(kf->keys().size() <= crypto::max_keyfile_keys);
        for (const auto& k : kf->keys()) FUZZ_CHECK(kf->find(k.kvno) != nullptr);
        if (!kf->empty()) FUZZ_CHECK(kf->latest() != nullptr);
        auto bytes = kf->serialize();
        auto again = crypto::KeyFile::parse(bytes);
        FUZZ_CHECK(again.has_value());
        FUZZ_CHECK(again->keys().size() == kf->keys().size());
        for (size_t i = 0; i < kf->keys().size(); ++i) {
            FUZZ_CHECK(again->keys()[i].kvno == kf->keys()[i].kvno);
            FUZZ_CHECK(again->keys()[i].key == kf->keys()[i].key);
        }
        FUZZ_CHECK(again->serialize() == bytes);
    }
    if (auto ext = crypto::parse_keyfile_ext(in)) {
        FUZZ_CHECK(ext->size() <= 1024);
        for (const auto& k : *ext) FUZZ_CHECK(k.material.size() <= 1024);
    }
    return 0;
}
