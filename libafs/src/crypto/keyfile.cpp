#include "libafs/crypto/keyfile.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include "byte_order.hpp"

namespace afs::crypto {
namespace {

constexpr size_t record_size = 4 + key_size;
// OpenAFS up to 1.6 wrote the in-memory structure: count + 8 records, always.
constexpr size_t fixed_layout_size = 4 + max_keyfile_keys * record_size;

constexpr size_t max_ext_keys = 1024;
constexpr size_t max_ext_material = 1024;
constexpr uint32_t min_ext_header = 16;

bool all_zero(std::span<const std::byte> b) {
    return std::all_of(b.begin(), b.end(), [](std::byte x) { return x == std::byte{0}; });
}

bool has_duplicate_kvno(const std::vector<ServerKey>& keys) {
    for (size_t i = 0; i < keys.size(); ++i)
        for (size_t j = i + 1; j < keys.size(); ++j)
            if (keys[i].kvno == keys[j].kvno) return true;
    return false;
}

}  // namespace

result<KeyFile> KeyFile::from_keys(std::vector<ServerKey> keys) {
    if (keys.size() > max_keyfile_keys || has_duplicate_kvno(keys)) return fail(errc::bad_key_file);
    return KeyFile(std::move(keys));
}

result<KeyFile> KeyFile::parse(std::span<const std::byte> bytes) {
    detail::Reader r(bytes);
    uint32_t count = r.be32();
    if (!r.ok() || count > max_keyfile_keys) return fail(errc::bad_key_file);  // also catches negative counts
    std::vector<ServerKey> keys(count);
    for (auto& k : keys) {
        k.kvno = static_cast<int32_t>(r.be32());
        auto material = r.raw(key_size);
        if (!r.ok()) return fail(errc::bad_key_file);
        k.key = *Key::from_bytes(material);
    }
    if (r.remaining() != 0) {
        // Only the unused, zero-filled slots of the old fixed-size layout may follow.
        bool old_layout = bytes.size() == fixed_layout_size && all_zero(bytes.subspan(r.position()));
        if (!old_layout) return fail(errc::bad_key_file);
    }
    return from_keys(std::move(keys));
}

result<KeyFile> KeyFile::load(const std::filesystem::path& path) {
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return fail(std::error_code(errno, std::generic_category()));
    // A KeyFile is 100 bytes at most; read one more so that oversized files are noticed.
    std::vector<std::byte> bytes(fixed_layout_size + 1);
    size_t got = 0;
    while (got < bytes.size()) {
        ssize_t n = ::read(fd, bytes.data() + got, bytes.size() - got);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) {
            std::error_code ec(errno, std::generic_category());
            ::close(fd);
            wipe(bytes);
            return fail(ec);
        }
        if (n == 0) break;
        got += static_cast<size_t>(n);
    }
    ::close(fd);
    auto parsed = parse(std::span(bytes).first(got));
    wipe(bytes);
    return parsed;
}

std::vector<std::byte> KeyFile::serialize() const {
    // Sized up front and filled in place (GCC 12 at -O3 misreports inserts into an empty
    // vector as overflows).
    std::vector<std::byte> out(4 + keys_.size() * record_size);
    detail::store_be32(out.data(), static_cast<uint32_t>(keys_.size()));
    std::byte* p = out.data() + 4;
    for (const auto& k : keys_) {
        detail::store_be32(p, static_cast<uint32_t>(k.kvno));
        std::copy(k.key.bytes().begin(), k.key.bytes().end(), p + 4);
        p += record_size;
    }
    return out;
}

const ServerKey* KeyFile::find(int32_t kvno) const {
    for (const auto& k : keys_)
        if (k.kvno == kvno) return &k;
    return nullptr;
}

const ServerKey* KeyFile::latest() const {
    const ServerKey* best = nullptr;
    for (const auto& k : keys_)
        if (!best || k.kvno > best->kvno) best = &k;
    return best;
}

result<std::vector<TypedKey>> parse_keyfile_ext(std::span<const std::byte> bytes) {
    detail::Reader r(bytes);
    uint32_t count = r.be32();
    if (!r.ok() || count > max_ext_keys) return fail(errc::bad_key_file);
    std::vector<TypedKey> keys;
    keys.reserve(count);
    for (uint32_t i = 0; i < count; ++i) {
        TypedKey k;
        uint32_t header_len = r.be32();
        k.type = static_cast<int32_t>(r.be32());
        k.kvno = static_cast<int32_t>(r.be32());
        k.subtype = static_cast<int32_t>(r.be32());
        if (!r.ok() || header_len < min_ext_header) return fail(errc::bad_key_file);
        r.raw(header_len - min_ext_header);  // fields added by later versions
        uint32_t material_len = r.be32();
        if (!r.ok() || material_len > max_ext_material) return fail(errc::bad_key_file);
        auto material = r.raw(material_len);
        if (!r.ok()) return fail(errc::bad_key_file);
        k.material.assign(material.begin(), material.end());
        keys.push_back(std::move(k));
    }
    if (r.remaining() != 0) return fail(errc::bad_key_file);
    return keys;
}

}  // namespace afs::crypto
