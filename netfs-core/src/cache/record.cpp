#include "record.hpp"

#include <cstring>
#include <string>

namespace netfs::cache {
namespace {

constexpr char magic[8] = {'N', 'C', 'P', 'C', 'A', 'C', 'H', 'E'};
constexpr uint32_t format_version = 1;
constexpr uint32_t flag_in_use = 1;
constexpr uint32_t max_key_part = 64 << 10;

uint64_t fnv1a(std::span<const std::byte> b) {
    uint64_t h = 0xcbf29ce484222325ull;
    for (std::byte c : b) {
        h ^= static_cast<uint8_t>(c);
        h *= 0x100000001b3ull;
    }
    return h;
}

class Writer {
public:
    void u32(uint32_t v) { put(v, 4); }
    void u64(uint64_t v) { put(v, 8); }
    void raw(const void* p, size_t n) {
        const auto* b = static_cast<const std::byte*>(p);
        out.insert(out.end(), b, b + n);
    }
    void str(const std::string& s) {
        u32(static_cast<uint32_t>(s.size()));
        raw(s.data(), s.size());
    }
    std::vector<std::byte> out;

private:
    void put(uint64_t v, int n) {
        for (int i = 0; i < n; ++i) out.push_back(std::byte(static_cast<uint8_t>(v >> (8 * i))));
    }
};

class Reader {
public:
    explicit Reader(std::span<const std::byte> b) : b_(b) {}
    bool u32(uint32_t& v) {
        uint64_t x;
        if (!get(x, 4)) return false;
        v = static_cast<uint32_t>(x);
        return true;
    }
    bool u64(uint64_t& v) { return get(v, 8); }
    bool str(std::string& s) {
        uint32_t n;
        if (!u32(n) || n > max_key_part || n > left()) return false;
        s.assign(reinterpret_cast<const char*>(b_.data() + at_), n);
        at_ += n;
        return true;
    }
    bool skip(size_t n) {
        if (n > left()) return false;
        at_ += n;
        return true;
    }
    size_t left() const { return b_.size() - at_; }

private:
    bool get(uint64_t& v, int n) {
        if (left() < static_cast<size_t>(n)) return false;
        v = 0;
        for (int i = 0; i < n; ++i) v |= static_cast<uint64_t>(static_cast<uint8_t>(b_[at_ + i])) << (8 * i);
        at_ += n;
        return true;
    }
    std::span<const std::byte> b_;
    size_t at_ = 0;
};

}  // namespace

std::vector<std::byte> encode(const Record& r) {
    Writer w;
    w.raw(magic, sizeof magic);
    w.u32(format_version);
    w.u32(r.in_use ? flag_in_use : 0);
    w.u64(r.coherency.size);
    w.u64(r.coherency.mtime_ns);
    w.u64(r.coherency.version);
    w.u64(static_cast<uint64_t>(r.last_used_ns));
    w.str(r.key.server);
    w.str(r.key.volume);
    w.str(r.key.file);
    w.u64(r.extents.size());
    for (const Extent& e : r.extents) {
        w.u64(e.pos);
        w.u64(e.len);
    }
    w.u64(fnv1a(w.out));
    return std::move(w.out);
}

result<Record> decode(std::span<const std::byte> bytes) {
    const auto bad = fail(std::make_error_code(std::errc::bad_message));
    if (bytes.size() < sizeof magic + 8 || std::memcmp(bytes.data(), magic, sizeof magic) != 0) return bad;
    const auto body = bytes.first(bytes.size() - 8);
    Reader tail(bytes.subspan(body.size()));
    uint64_t sum;
    if (!tail.u64(sum) || sum != fnv1a(body)) return bad;

    Reader rd(body);
    Record r;
    uint32_t version, flags;
    uint64_t last_used, count;
    if (!rd.skip(sizeof magic) || !rd.u32(version) || version != format_version || !rd.u32(flags) ||
        !rd.u64(r.coherency.size) || !rd.u64(r.coherency.mtime_ns) || !rd.u64(r.coherency.version) ||
        !rd.u64(last_used) || !rd.str(r.key.server) || !rd.str(r.key.volume) || !rd.str(r.key.file) ||
        !rd.u64(count) || count != rd.left() / 16 || rd.left() % 16 != 0)
        return bad;
    r.in_use = flags & flag_in_use;
    r.last_used_ns = static_cast<int64_t>(last_used);
    r.extents.resize(count);
    for (Extent& e : r.extents) {
        rd.u64(e.pos);
        rd.u64(e.len);
        if (e.pos + e.len < e.pos) return bad;  // would wrap around
    }
    return r;
}

}  // namespace netfs::cache
