// Ticket lifetimes. A Kerberos-4 style ticket does not carry its end time: it carries a
// start time and a one-byte lifetime code, which this file converts both ways. Times are
// Unix seconds in 32 bits, as on the wire.
#pragma once

#include <cstdint>

#include "libafs/error.hpp"

namespace afs::crypto {

inline constexpr uint32_t never_expires = 0xFFFFFFFF;            // an end time that means "no expiry"
inline constexpr uint32_t max_ticket_lifetime = 30 * 24 * 3600;  // 30 days
inline constexpr uint32_t clock_skew_allowance = 15 * 60;        // tolerated clock difference
inline constexpr uint8_t lifetime_code_never = 0xFF;

// The lifetime code for a ticket valid from `start` to `end`:
//  * end == never_expires gives 0xFF;
//  * lifetimes under 38400 s are rounded up to whole 5-minute units (codes 1..0x80);
//  * longer ones take the smallest entry of the 64-entry lifetime table that is at
//    least as long (codes 0x80..0xBF; the table grows by about 7% a step up to 30 days).
// So the ticket may outlive `end` by up to one step, never expire earlier.
// errc::bad_value if end <= start or the lifetime exceeds 30 days.
result<uint8_t> encode_lifetime(uint32_t start, uint32_t end);

// The end time a lifetime code gives: 0xFF never expires; codes below 0x80 count 5-minute
// units; 0x80..0xBF index the table; codes above 0xBF mean 30 days.
uint32_t decode_lifetime(uint32_t start, uint8_t code);

// Where `now` stands relative to a ticket's validity, with the 15-minute clock skew
// allowance applied on both ends (the rules an AFS server applies).
enum class TicketTime {
    invalid,        // end <= start, too long a lifetime, starts absurdly far ahead, or long dead
    expired,        // ended more than 15 minutes ago
    not_yet_valid,  // starts more than 15 minutes from now
    valid_forever,  // started (or start 0) and never expires (or end unknown: start 0)
    valid,          // started and not yet ended
};
TicketTime check_ticket_time(uint32_t start, uint32_t end, uint32_t now);
const char* to_string(TicketTime t);

// The current time as 32-bit Unix seconds.
uint32_t unix_now();

}  // namespace afs::crypto
