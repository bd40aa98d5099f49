#include "libafs/crypto/ticket.hpp"

#include "byte_order.hpp"
#include "libafs/crypto/des.hpp"
#include "libafs/crypto/lifetime.hpp"

namespace afs::crypto {
namespace {

constexpr uint8_t flag_little_endian = 0x01;

// Tickets of exactly this size are accepted whatever their parsed length: some old
// ticket granters padded every ticket to 56 bytes.
constexpr size_t legacy_fixed_ticket_size = 56;

constexpr size_t round_up_8(size_t n) { return (n + 7) & ~size_t(7); }

void append_cstring(std::vector<std::byte>& out, const std::string& s) {
    auto b = std::as_bytes(std::span(s.data(), s.size()));
    out.insert(out.end(), b.begin(), b.end());
    out.push_back(std::byte{0});
}

// OpenAFS schedules server keys with parity and weak-key checks and refuses to make or
// read a ticket with a key that fails them, so a ticket made with such a key would be
// refused by every server: refuse it here too.
bool usable_server_key(const Key& k) { return has_odd_parity(k) && !is_weak_des_key(k); }

bool fits(const std::string& s, size_t min_len) {
    return s.size() >= min_len && s.size() <= max_principal_component && s.find('\0') == std::string::npos;
}

// A buffer holding key material that is wiped when it goes away.
struct SecretBuffer {
    std::vector<std::byte> bytes;
    ~SecretBuffer() { wipe(bytes); }
};

uint32_t from_ticket_order(uint32_t big_endian_value, uint8_t flags) {
    if (!(flags & flag_little_endian)) return big_endian_value;
    return (big_endian_value >> 24) | ((big_endian_value >> 8) & 0xff00) | ((big_endian_value << 8) & 0xff0000) |
           (big_endian_value << 24);
}

}  // namespace

result<std::vector<std::byte>> make_ticket(const TicketContents& c, const Key& server_key) {
    if (validate(c.client) || !fits(c.service, 1) || !fits(c.service_instance, 0)) return fail(errc::bad_ticket);
    if (!usable_server_key(server_key)) return fail(errc::bad_ticket);
    auto life = encode_lifetime(c.start, c.end);
    if (!life) return fail(errc::bad_ticket);

    SecretBuffer t;
    t.bytes.reserve(round_up_8(1 + 5 * (max_principal_component + 1) + 4 + key_size + 1 + 4));
    t.bytes.push_back(std::byte{0});  // flags: big-endian integers
    append_cstring(t.bytes, c.client.name);
    append_cstring(t.bytes, c.client.instance);
    append_cstring(t.bytes, c.client.cell);
    detail::append_be32(t.bytes, c.host);
    t.bytes.insert(t.bytes.end(), c.session_key.bytes().begin(), c.session_key.bytes().end());
    t.bytes.push_back(std::byte{*life});
    detail::append_be32(t.bytes, c.start);
    append_cstring(t.bytes, c.service);
    append_cstring(t.bytes, c.service_instance);
    t.bytes.resize(round_up_8(t.bytes.size()), std::byte{0});  // at least 25 bytes: never under 32

    if (auto ec = des_pcbc_encrypt(t.bytes, server_key, server_key)) return fail(ec);
    return std::move(t.bytes);  // encrypted now: nothing secret left to wipe
}

result<TicketContents> decode_ticket(std::span<const std::byte> ticket, const Key& server_key) {
    if (ticket.size() < min_ticket_size || ticket.size() > max_ticket_size || ticket.size() % 8 != 0)
        return fail(errc::bad_ticket);
    if (!usable_server_key(server_key)) return fail(errc::bad_ticket);
    SecretBuffer clear{{ticket.begin(), ticket.end()}};
    if (auto ec = des_pcbc_decrypt(clear.bytes, server_key, server_key)) return fail(ec);

    detail::Reader r(clear.bytes);
    TicketContents c;
    uint8_t flags = r.u8();
    c.client.name = r.cstring(1, max_principal_component);
    c.client.instance = r.cstring(0, max_principal_component);
    c.client.cell = r.cstring(0, max_principal_component);
    c.host = from_ticket_order(r.be32(), flags);
    auto key = r.raw(key_size);
    uint8_t life = r.u8();
    c.start = from_ticket_order(r.be32(), flags);
    c.service = r.cstring(1, max_principal_component);
    c.service_instance = r.cstring(0, max_principal_component);
    if (!r.ok()) return fail(errc::bad_ticket);
    // The parsed fields must account for the whole ticket but its padding. With a wrong
    // key the "strings" are noise and this is where decoding almost always fails.
    if (round_up_8(r.position()) != ticket.size() && ticket.size() != legacy_fixed_ticket_size)
        return fail(errc::bad_ticket);
    c.session_key = *Key::from_bytes(key);
    c.end = decode_lifetime(c.start, life);
    return c;
}

}  // namespace afs::crypto
