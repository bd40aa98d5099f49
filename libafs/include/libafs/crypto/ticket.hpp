// rxkad tickets: the Kerberos-4 style ("athena") ticket an AFS server decrypts with its
// own key to learn who the client is and which session key it holds.
//
// Plaintext layout, integers big-endian, strings NUL-terminated, zero-padded to a multiple
// of 8, then DES-PCBC encrypted with the server key as key and IV:
//     flags[1] name instance cell host[4] session_key[8] lifetime[1] start[4] service service_instance
// flags bit 0 set means the integers are little-endian (old senders; we always send 0).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "libafs/crypto/key.hpp"
#include "libafs/crypto/principal.hpp"
#include "libafs/error.hpp"

namespace afs::crypto {

// Sizes an AFS server accepts for a ticket (MINKTCTICKETLEN, MAXKTCTICKETLEN).
inline constexpr size_t min_ticket_size = 32;
inline constexpr size_t max_ticket_size = 12000;

struct TicketContents {
    Principal client;
    uint32_t host = 0;             // client IPv4 address; 0 as OpenAFS's -localauth sends (not checked)
    Key session_key;
    uint32_t start = 0;            // Unix seconds
    uint32_t end = 0;              // Unix seconds or never_expires; carried as a lifetime code
    std::string service = "afs";
    std::string service_instance;  // "" (or the cell, for afs/cell principals)
};

// Builds and encrypts a ticket. The end time travels as a lifetime code, so a server sees
// decode_lifetime(start, encode_lifetime(start, end)), which may be a little later than
// `end` (see lifetime.hpp). errc::bad_ticket if a name does not fit, the times cannot
// be encoded, or the server key lacks DES odd parity or is weak (OpenAFS servers refuse
// such keys, so no server could read the ticket).
result<std::vector<std::byte>> make_ticket(const TicketContents& contents, const Key& server_key);

// Decrypts and parses a ticket, as a server does. Does not judge the times: see
// check_ticket_time(). errc::bad_ticket for a length outside 32..12000 or not a multiple
// of 8, a server key without odd parity or weak, a string without its NUL or too long,
// a layout that does not fill the ticket (the wrong key looks like this), or any other
// malformation.
result<TicketContents> decode_ticket(std::span<const std::byte> ticket, const Key& server_key);

}  // namespace afs::crypto
