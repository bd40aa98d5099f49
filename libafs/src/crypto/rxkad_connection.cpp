#include "rxkad_connection.hpp"

#include <algorithm>

#include "byte_order.hpp"
#include "rxkad_handshake.hpp"

namespace afs::crypto::detail {
namespace {

constexpr size_t block = 8;
constexpr size_t max_sealed_length = 0xffff;  // the seal word carries the length in 16 bits

constexpr size_t round_up_8(size_t n) { return (n + 7) & ~size_t(7); }

// The first word of the data area at levels auth and crypt: it ties the data to its
// place in the call and says how much of the (padded) area is user data.
uint32_t seal_word(const rx::PacketIdentity& packet, size_t user_len) {
    return ((packet.seq ^ packet.call_number) & 0xffffu) << 16 | (static_cast<uint32_t>(user_len) & 0xffffu);
}

std::error_code rxkad_error(int32_t code) { return abort_error(code); }

}  // namespace

RxkadConnection::RxkadConnection(std::shared_ptr<const SessionCipher> cipher, Level level,
                                 const rx::ConnectionIdentity& conn, std::optional<Token> token)
    : cipher_(std::move(cipher)),
      level_(level),
      conn_(conn),
      pre_seq_(derive_pre_seq(*cipher_, conn)),
      token_(std::move(token)) {}

size_t RxkadConnection::header_size() const {
    switch (level_) {
        case Level::clear: return 0;
        case Level::auth: return 4;
        case Level::crypt: return 8;
    }
    return 0;
}

size_t RxkadConnection::sealed_size(size_t user_len) const {
    switch (level_) {
        case Level::clear: return user_len;
        case Level::auth: return std::max(block, 4 + user_len);  // the first block is always whole
        case Level::crypt: return round_up_8(8 + user_len);
    }
    return user_len;
}

size_t RxkadConnection::max_user_data(size_t space) const {
    space = std::min(space, max_sealed_length);
    switch (level_) {
        case Level::clear: return space;
        case Level::auth: return space < block ? 0 : space - 4;
        case Level::crypt: return space < 2 * block ? 0 : (space & ~(block - 1)) - 8;
    }
    return 0;
}

result<size_t> RxkadConnection::seal(const rx::PacketIdentity& packet, std::span<std::byte> area, size_t user_len,
                                     uint16_t& checksum) {
    const size_t header = header_size();
    if (user_len > max_sealed_length - 15) return fail(errc::too_large);
    const size_t total = sealed_size(user_len);
    if (area.size() < header + user_len || area.size() < total) return fail(errc::too_large);

    checksum = header_checksum(*cipher_, pre_seq_, packet);
    if (level_ == Level::clear) return total;

    store_be32(area.data(), seal_word(packet, user_len));
    if (level_ == Level::crypt) store_be32(area.data() + 4, 0);
    std::fill(area.begin() + static_cast<ptrdiff_t>(header + user_len), area.begin() + static_cast<ptrdiff_t>(total),
              std::byte{0});
    if (level_ == Level::auth)
        cipher_->fcrypt.encrypt_block(area.first<block>());
    else
        cipher_->fcrypt.pcbc_encrypt(area.first(total), cipher_->iv);
    return total;
}

result<rx::ConnectionSecurity::Span> RxkadConnection::unseal(const rx::PacketIdentity& packet, std::span<std::byte> area,
                                                             uint16_t checksum) {
    if (checksum != 0) checksum_seen_.store(true, std::memory_order_relaxed);
    if (checksum_seen_.load(std::memory_order_relaxed) && checksum != header_checksum(*cipher_, pre_seq_, packet))
        return fail(rxkad_error(abort_code::RXKADSEALEDINCON));
    if (level_ == Level::clear) return Span{0, area.size()};

    if (area.size() < block) return fail(rxkad_error(abort_code::RXKADPACKETSHORT));
    // At crypt level only whole blocks were encrypted; a ragged tail (which no rxkad
    // sender produces) is ignored rather than trusted.
    const size_t decrypted = level_ == Level::auth ? block : area.size() & ~(block - 1);
    if (level_ == Level::auth)
        cipher_->fcrypt.decrypt_block(area.first<block>());
    else
        cipher_->fcrypt.pcbc_decrypt(area.first(decrypted), cipher_->iv);

    const uint32_t word = load_be32(area.data());
    if ((word >> 16) != ((packet.seq ^ packet.call_number) & 0xffffu)) return fail(rxkad_error(abort_code::RXKADSEALEDINCON));
    const size_t user_len = word & 0xffffu;
    const size_t header = header_size();
    const size_t available = level_ == Level::auth ? area.size() : decrypted;
    if (header + user_len > available) return fail(rxkad_error(abort_code::RXKADDATALEN));
    return Span{header, user_len};
}

result<std::vector<std::byte>> RxkadConnection::respond(std::span<const std::byte> challenge,
                                                        const std::array<uint32_t, 4>& call_numbers) {
    if (!token_) return fail(errc::security_mismatch);  // the server end does not answer challenges
    auto parsed = parse_challenge(challenge);
    if (!parsed) return fail(parsed.error());
    if (parsed->level < 0 || parsed->level > static_cast<int32_t>(Level::crypt))
        return fail(rxkad_error(abort_code::RXKADILLEGALLEVEL));
    if (parsed->level > static_cast<int32_t>(level_)) return fail(rxkad_error(abort_code::RXKADLEVELFAIL));
    return build_response(*parsed, ResponseInput{*cipher_, conn_, call_numbers, level_, token_->kvno(), token_->ticket()});
}

}  // namespace afs::crypto::detail
