#include "content_digest.hpp"

#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>
#include <vector>

#include <openssl/evp.h>

namespace netcp {

namespace {
std::string to_hex(const unsigned char* md, unsigned len) {
    static const char* const hex = "0123456789abcdef";
    std::string out;
    for (unsigned i = 0; i < len; ++i) {
        out += hex[md[i] >> 4];
        out += hex[md[i] & 15];
    }
    return out;
}
}  // namespace

std::string sha256_hex(std::string_view bytes) {
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned len = 0;
    // One-shot EVP_Digest cannot fail for SHA-256 short of memory exhaustion; an empty
    // result then names nothing, and the caller's lookups simply find no journal.
    if (EVP_Digest(bytes.data(), bytes.size(), md, &len, EVP_sha256(), nullptr) != 1) return {};
    return to_hex(md, len);
}

tl::expected<std::string, std::string> sha256_of_file(int fd) {
    std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
    if (!ctx || EVP_DigestInit_ex(ctx.get(), EVP_sha256(), nullptr) != 1)
        return tl::unexpected(std::string("cannot start a SHA-256 digest (OpenSSL)"));
    std::vector<unsigned char> buf(1u << 20);
    for (off_t pos = 0;;) {
        const ssize_t n = ::pread(fd, buf.data(), buf.size(), pos);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return tl::unexpected(std::string("cannot read it: ") + std::strerror(errno));
        if (n == 0) break;
        if (EVP_DigestUpdate(ctx.get(), buf.data(), static_cast<size_t>(n)) != 1)
            return tl::unexpected(std::string("SHA-256 failed (OpenSSL)"));
        pos += n;
    }
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned len = 0;
    if (EVP_DigestFinal_ex(ctx.get(), md, &len) != 1) return tl::unexpected(std::string("SHA-256 failed (OpenSSL)"));
    return to_hex(md, len);
}

}  // namespace netcp
