// OpenSSL 3 marks its low-level DES API deprecated in favour of EVP. EVP cannot serve
// here: it has no PCBC mode at all, and its DES ciphers live in the "legacy" provider,
// which is not loaded by default. The low-level functions are still built into libcrypto,
// so this one file opts out of the deprecation warnings rather than reimplementing DES.
#define OPENSSL_SUPPRESS_DEPRECATED

#include "libafs/crypto/des.hpp"

#include <cstring>

#include <openssl/crypto.h>
#include <openssl/des.h>

namespace afs::crypto {
namespace {

// A DES key schedule that is wiped when it goes out of scope.
class Schedule {
public:
    explicit Schedule(const Key& key) {
        DES_cblock k;
        std::memcpy(k, key.bytes().data(), sizeof k);
        // Unchecked: parity and weakness are the key owner's business (KeyFile keys are
        // used as they are, as OpenAFS does when it encrypts tickets).
        DES_set_key_unchecked(&k, &schedule_);
        OPENSSL_cleanse(k, sizeof k);
    }
    ~Schedule() { OPENSSL_cleanse(&schedule_, sizeof schedule_); }
    Schedule(const Schedule&) = delete;
    Schedule& operator=(const Schedule&) = delete;
    DES_key_schedule* get() { return &schedule_; }

private:
    DES_key_schedule schedule_{};
};

std::error_code pcbc(std::span<std::byte> data, const Key& key, const Key& iv, int direction) {
    if (data.size() % 8 != 0) return make_error_code(errc::bad_value);
    if (data.empty()) return {};
    Schedule schedule(key);
    DES_cblock chain;
    std::memcpy(chain, iv.bytes().data(), sizeof chain);
    auto* p = reinterpret_cast<unsigned char*>(data.data());
    // DES_pcbc_encrypt reads each input block before writing it, so in place is fine.
    DES_pcbc_encrypt(p, p, static_cast<long>(data.size()), schedule.get(), &chain, direction);
    OPENSSL_cleanse(chain, sizeof chain);
    return {};
}

}  // namespace

std::error_code des_pcbc_encrypt(std::span<std::byte> data, const Key& key, const Key& iv) {
    return pcbc(data, key, iv, DES_ENCRYPT);
}

std::error_code des_pcbc_decrypt(std::span<std::byte> data, const Key& key, const Key& iv) {
    return pcbc(data, key, iv, DES_DECRYPT);
}

void des_ecb_encrypt(std::span<std::byte, 8> block, const Key& key) {
    Schedule schedule(key);
    DES_cblock in, out;
    std::memcpy(in, block.data(), 8);
    DES_ecb_encrypt(&in, &out, schedule.get(), DES_ENCRYPT);
    std::memcpy(block.data(), out, 8);
    OPENSSL_cleanse(in, sizeof in);
    OPENSSL_cleanse(out, sizeof out);
}

}  // namespace afs::crypto
