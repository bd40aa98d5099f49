// The boundary between Rx and its security classes (rxnull, rxkad).
//
// Rx owns packets, calls and connections; a security class owns what it does to DATA
// packets and how it answers a CHALLENGE. Rx creates one ConnectionSecurity per
// connection (rxkad derives per-connection values from the epoch and connection id)
// and calls it for every DATA packet it sends or receives. ACK, ABORT, BUSY and other
// packet types are never passed to a security class.
//
// A SecurityClass is an identity that can be held and swapped: an AFS client may hold
// several (anonymous, rxkad as bob, rxkad as alice) and open connections with any of them.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "libafs/error.hpp"

namespace afs::rx {

// Rx securityIndex values.
inline constexpr uint8_t security_index_null = 0;
inline constexpr uint8_t security_index_rxkad = 2;

// What a connection is, as far as security is concerned.
struct ConnectionIdentity {
    uint32_t epoch = 0;
    uint32_t cid = 0;            // connection id with the channel bits cleared (cid & ~3)
    uint16_t service_id = 0;
    uint8_t security_index = 0;
    bool client_side = true;     // false for connections a peer opened to a service we serve
};

// The header fields of one DATA packet that security classes bind into checksums and seals.
struct PacketIdentity {
    uint32_t call_number = 0;
    uint32_t seq = 0;
    uint32_t channel = 0;        // cid & 3
};

// Per-connection security state.
class ConnectionSecurity {
public:
    virtual ~ConnectionSecurity() = default;

    // Bytes of security header in front of the user data in each DATA packet (0, 4 or 8).
    virtual size_t header_size() const = 0;

    // The most user data one DATA packet may carry when `space` bytes may follow the Rx
    // header (rxkad crypt rounds down to whole 8-byte blocks after its header).
    virtual size_t max_user_data(size_t space) const = 0;

    // Seals one outgoing DATA packet in place. `area` is the packet's data area: its first
    // header_size() bytes are reserved, then `user_len` bytes of user data, then room to
    // grow (at least 8 bytes) for padding. Returns the data area's final length and sets
    // `checksum` (the 16-bit header checksum field; 0 if the class has none).
    virtual result<size_t> seal(const PacketIdentity& packet, std::span<std::byte> area, size_t user_len,
                                uint16_t& checksum) = 0;

    // Checks and unseals one received DATA packet's data area in place. Returns the offset
    // and length of the user data inside `area`. A packet that fails the check is an error
    // (the call is aborted with RXKADSEALEDINCON or similar).
    struct Span {
        size_t offset = 0;
        size_t length = 0;
    };
    virtual result<Span> unseal(const PacketIdentity& packet, std::span<std::byte> area, uint16_t checksum) = 0;

    // Client side: builds the RESPONSE packet body for a CHALLENGE body. `call_numbers`
    // holds the connection's current call number on each of its 4 channels. Classes that
    // do not authenticate (rxnull) return errc::security_mismatch.
    virtual result<std::vector<std::byte>> respond(std::span<const std::byte> challenge,
                                                   const std::array<uint32_t, 4>& call_numbers) = 0;
};

// A security identity: creates the per-connection state.
class SecurityClass {
public:
    virtual ~SecurityClass() = default;
    virtual uint8_t index() const = 0;
    // For messages: "rxnull (anonymous)", "rxkad crypt as bob (kvno 3)".
    virtual std::string describe() const = 0;
    virtual std::unique_ptr<ConnectionSecurity> new_connection(const ConnectionIdentity& id) = 0;
};

}  // namespace afs::rx
