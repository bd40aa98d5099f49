// Encoding and decoding of whole frames. The per-message layouts come from each
// message's P9_FIELDS list (message.hpp); this file only knows field kinds.
#include <array>

#include "lib9p/wire.hpp"
#include "wire/byte_io.hpp"

namespace p9 {
namespace {

using wire::Reader;
using wire::Writer;

struct EncodeStatus {
    errc failure{};
    bool ok() const { return failure == errc{}; }
};

bool encode_one(Writer& w, const auto& v, EncodeStatus&) { return wire::encode_field(w, v); }

bool encode_one(Writer& w, const std::string& s, EncodeStatus& st) {
    if (s.size() > 0xFFFF) return st.failure = errc::string_too_long, false;
    w.u16(static_cast<uint16_t>(s.size()));
    w.raw(std::as_bytes(std::span(s.data(), s.size())));
    return true;
}

bool encode_one(Writer& w, const Bytes& b, EncodeStatus& st) {
    if (b.view.size() > 0xFFFFFFFFu) return st.failure = errc::message_too_large, false;
    w.u32(static_cast<uint32_t>(b.view.size()));
    w.raw(b.view);
    return true;
}

bool encode_one(Writer& w, const std::vector<std::string>& names, EncodeStatus& st) {
    if (names.size() > max_walk_elements) return st.failure = errc::too_many_elements, false;
    w.u16(static_cast<uint16_t>(names.size()));
    for (const auto& n : names)
        if (!encode_one(w, n, st)) return false;
    return true;
}

bool encode_one(Writer& w, const std::vector<Qid>& qids, EncodeStatus& st) {
    if (qids.size() > max_walk_elements) return st.failure = errc::too_many_elements, false;
    w.u16(static_cast<uint16_t>(qids.size()));
    for (const auto& q : qids) wire::encode_field(w, q);
    return true;
}

void decode_one(Reader& r, auto& v) { wire::decode_field(r, v); }

void decode_one(Reader& r, std::vector<std::string>& names) {
    uint16_t n = r.u16();
    if (n > max_walk_elements) return r.fail(errc::too_many_elements);
    names.resize(n);
    for (auto& s : names) wire::decode_field(r, s);
}

void decode_one(Reader& r, std::vector<Qid>& qids) {
    uint16_t n = r.u16();
    if (n > max_walk_elements) return r.fail(errc::too_many_elements);
    qids.resize(n);
    for (auto& q : qids) wire::decode_field(r, q);
}

template <class M>
result<Message> decode_as(Reader& r) {
    M m;
    std::apply([&](auto&... f) { (decode_one(r, f), ...); }, m.fields());
    if (!r.ok()) return fail(r.error());
    if (r.remaining() != 0) return fail(errc::trailing_bytes);
    return Message{std::move(m)};
}

using Decoder = result<Message> (*)(Reader&);

template <size_t... I>
constexpr std::array<Decoder, 256> make_decoders(std::index_sequence<I...>) {
    std::array<Decoder, 256> table{};
    ((table[static_cast<uint8_t>(std::variant_alternative_t<I, Message>::type)] =
          &decode_as<std::variant_alternative_t<I, Message>>),
     ...);
    return table;
}

constexpr auto decoders = make_decoders(std::make_index_sequence<std::variant_size_v<Message>>{});

}  // namespace

std::error_code encode(std::vector<std::byte>& out, uint16_t tag, const Message& msg) {
    const size_t start = out.size();
    Writer w(out);
    w.u32(0);  // size, patched below
    w.u8(static_cast<uint8_t>(type_of(msg)));
    w.u16(tag);
    EncodeStatus st;
    bool ok = std::visit(
        [&](const auto& m) {
            return std::apply([&](const auto&... f) { return (encode_one(w, f, st) && ...); }, m.fields());
        },
        msg);
    const size_t total = out.size() - start;
    if (ok && total > 0xFFFFFFFFu) {
        ok = false;
        st.failure = errc::message_too_large;
    }
    if (!ok) {
        out.resize(start);
        return make_error_code(st.failure);
    }
    w.patch_u32(start, static_cast<uint32_t>(total));
    return {};
}

result<std::vector<std::byte>> encode(uint16_t tag, const Message& msg) {
    std::vector<std::byte> out;
    if (auto ec = encode(out, tag, msg)) return fail(ec);
    return out;
}

std::array<std::byte, twrite_header_size> encode_twrite_header(uint16_t tag, uint32_t fid, uint64_t offset,
                                                               uint32_t count) {
    std::array<std::byte, twrite_header_size> h{};
    auto put = [&](size_t at, uint64_t v, int n) {
        for (int i = 0; i < n; ++i) h[at + i] = std::byte(static_cast<uint8_t>(v >> (8 * i)));
    };
    put(0, uint64_t(twrite_header_size) + count, 4);
    put(4, static_cast<uint8_t>(MsgType::Twrite), 1);
    put(5, tag, 2);
    put(7, fid, 4);
    put(11, offset, 8);
    put(19, count, 4);
    return h;
}

result<uint32_t> frame_size(std::span<const std::byte> first4, uint32_t max_size) {
    if (first4.size() < 4) return fail(errc::truncated);
    Reader r(first4.first(4));
    uint32_t size = r.u32();
    if (size < header_size) return fail(errc::bad_size);
    if (size > max_size) return fail(errc::message_too_large);
    return size;
}

namespace {

// Type 107, Rerror of 9P2000 and 9P2000.u. nfs-ganesha answers every error of a 9P2000.L
// session with it, its body a bare errno[4] as in Rlerror (the Linux client accepts that
// too). The legacy forms are ename[s] (9P2000) and ename[s] errno[4] (9P2000.u); one
// without an errno is EIO. Anything else is refused.
constexpr uint8_t legacy_rerror = 107;

result<uint32_t> decode_legacy_rerror(std::span<const std::byte> body) {
    Reader r(body);
    if (body.size() == 4) return r.u32();
    std::string ename;
    wire::decode_field(r, ename);
    if (!r.ok()) return fail(r.error());
    uint32_t ecode = 5;  // EIO
    if (r.remaining() == 4) ecode = r.u32();
    if (r.remaining() != 0) return fail(errc::trailing_bytes);
    return ecode;
}

}  // namespace

result<Frame> decode(std::span<const std::byte> frame) {
    if (frame.size() < header_size) return fail(errc::truncated);
    Reader r(frame);
    uint32_t size = r.u32();
    if (size != frame.size()) return fail(size < header_size ? errc::bad_size
                                          : size > frame.size() ? errc::truncated
                                                                : errc::trailing_bytes);
    uint8_t type = r.u8();
    uint16_t tag = r.u16();
    if (type == legacy_rerror) {
        auto ecode = decode_legacy_rerror(frame.subspan(header_size));
        if (!ecode) return fail(ecode.error());
        return Frame{tag, Message{Rlerror{*ecode}}};
    }
    Decoder d = decoders[type];
    if (!d) return fail(errc::unknown_type);
    auto msg = d(r);
    if (!msg) return fail(msg.error());
    return Frame{tag, std::move(*msg)};
}

result<std::vector<Dirent>> decode_dirents(std::span<const std::byte> data) {
    std::vector<Dirent> out;
    Reader r(data);
    while (r.ok() && r.remaining() > 0) {
        Dirent d;
        wire::decode_field(r, d.qid);
        d.offset = r.u64();
        d.type = r.u8();
        wire::decode_field(r, d.name);
        if (r.ok()) out.push_back(std::move(d));
    }
    if (!r.ok()) return fail(r.error());
    return out;
}

std::error_code encode_dirent(std::vector<std::byte>& out, const Dirent& d) {
    if (d.name.size() > 0xFFFF) return errc::string_too_long;
    Writer w(out);
    wire::encode_field(w, d.qid);
    w.u64(d.offset);
    w.u8(d.type);
    w.u16(static_cast<uint16_t>(d.name.size()));
    w.raw(std::as_bytes(std::span(d.name.data(), d.name.size())));
    return {};
}

bool is_valid_name(std::string_view name) {
    return !name.empty() && name.size() <= 0xFFFF && name != "." && name != ".." &&
           name.find('/') == std::string_view::npos && name.find('\0') == std::string_view::npos;
}

}  // namespace p9
