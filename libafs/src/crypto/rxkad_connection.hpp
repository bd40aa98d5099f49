// Per-connection rxkad state and the per-packet work: checksums, seal and unseal.
// The same on both ends of a connection; only the client end answers challenges.
#pragma once

#include <atomic>
#include <memory>
#include <optional>

#include "libafs/crypto/rxkad.hpp"
#include "rxkad_session.hpp"

namespace afs::crypto::detail {

class RxkadConnection final : public rx::ConnectionSecurity {
public:
    // `token` is present on the client end: what respond() sends.
    RxkadConnection(std::shared_ptr<const SessionCipher> cipher, Level level, const rx::ConnectionIdentity& conn,
                    std::optional<Token> token);

    size_t header_size() const override;
    size_t max_user_data(size_t space) const override;
    result<size_t> seal(const rx::PacketIdentity& packet, std::span<std::byte> area, size_t user_len,
                        uint16_t& checksum) override;
    result<Span> unseal(const rx::PacketIdentity& packet, std::span<std::byte> area, uint16_t checksum) override;
    result<std::vector<std::byte>> respond(std::span<const std::byte> challenge,
                                           const std::array<uint32_t, 4>& call_numbers) override;

private:
    // Data area length after sealing `user_len` bytes.
    size_t sealed_size(size_t user_len) const;

    std::shared_ptr<const SessionCipher> cipher_;
    Level level_;
    rx::ConnectionIdentity conn_;
    PreSeq pre_seq_;
    std::optional<Token> token_;
    // Like OpenAFS, checksums are enforced from the first packet that carries one: a peer
    // that never sends any (very old servers) is still understood, but once one has been
    // seen, a packet without one is as wrong as a packet with a bad one.
    std::atomic<bool> checksum_seen_{false};
};

}  // namespace afs::crypto::detail
