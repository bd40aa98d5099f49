// AFS server keys.
//
// The classic KeyFile (/etc/openafs/server/KeyFile, /usr/afs/etc/KeyFile) holds the
// cell's rxkad DES keys: a big-endian count, then per key kvno[4] key[8]; at most 8 keys.
// OpenAFS 1.6 and older wrote the whole fixed-size structure (100 bytes, unused slots
// zero), 1.8 writes just the keys; both are read here.
//
// KeyFileExt (OpenAFS 1.8) holds the other key types (rxkad-krb5, rxgk). It is parsed
// for completeness and for diagnostics: none of its keys can mint an rxkad DES ticket.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <span>
#include <vector>

#include "libafs/crypto/key.hpp"
#include "libafs/error.hpp"

namespace afs::crypto {

inline constexpr size_t max_keyfile_keys = 8;

struct ServerKey {
    int32_t kvno = 0;
    Key key;
};

class KeyFile {
public:
    KeyFile() = default;
    // errc::bad_key_file for more than 8 keys or a repeated kvno.
    static result<KeyFile> from_keys(std::vector<ServerKey> keys);
    // errc::bad_key_file for truncated input, a count above 8 or negative, a repeated
    // kvno, or bytes after the keys (except the zero-filled tail of the old fixed layout).
    static result<KeyFile> parse(std::span<const std::byte> bytes);
    // As parse(); a file that cannot be read gives its system error.
    static result<KeyFile> load(const std::filesystem::path& path);

    // The classic layout, keys as stored (what OpenAFS 1.8 writes).
    std::vector<std::byte> serialize() const;

    const std::vector<ServerKey>& keys() const { return keys_; }
    bool empty() const { return keys_.empty(); }
    const ServerKey* find(int32_t kvno) const;
    // The key with the highest kvno: the one a server expects new tickets to use.
    const ServerKey* latest() const;

private:
    explicit KeyFile(std::vector<ServerKey> keys) : keys_(std::move(keys)) {}
    std::vector<ServerKey> keys_;
};

// One key from a KeyFileExt. Key material is wiped when the object goes away.
struct TypedKey {
    enum Type : int32_t { rxkad = 0, rxgk = 1, rxkad_krb5 = 2 };
    int32_t type = 0;
    int32_t kvno = 0;
    int32_t subtype = 0;  // for rxkad_krb5: the Kerberos 5 enctype (18 = aes256-cts-hmac-sha1-96)
    std::vector<std::byte> material;

    TypedKey() = default;
    TypedKey(const TypedKey&) = default;
    TypedKey(TypedKey&&) = default;
    TypedKey& operator=(const TypedKey&) = default;
    TypedKey& operator=(TypedKey&&) = default;
    ~TypedKey() { wipe(material); }
};

// KeyFileExt: count[4], then per key: header_len[4] (>= 16) type[4] kvno[4] subtype[4],
// header_len - 16 bytes to skip, material_len[4], material. Big-endian. errc::bad_key_file
// for anything truncated or inconsistent; at most 1024 keys of at most 1024 bytes each.
result<std::vector<TypedKey>> parse_keyfile_ext(std::span<const std::byte> bytes);

}  // namespace afs::crypto
