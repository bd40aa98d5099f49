#include "libafs/crypto/lifetime.hpp"

#include <array>
#include <chrono>

namespace afs::crypto {
namespace {

constexpr uint8_t first_table_code = 0x80;
constexpr uint8_t last_table_code = 0xBF;
constexpr uint32_t unit_seconds = 5 * 60;

// Lifetimes in seconds for codes 0x80..0xBF (rxkad lifetimes.h): 10 2/3 hours up to 30
// days in steps of about 1.069. Data, not code.
constexpr std::array<uint32_t, 64> lifetime_table{
    38400,   41055,   43894,   46929,   50174,   53643,   57352,   61318,   65558,   70091,   74937,
    80119,   85658,   91581,   97914,   104684,  111922,  119661,  127935,  136781,  146239,  156350,
    167161,  178720,  191077,  204289,  218415,  233517,  249664,  266926,  285383,  305116,  326213,
    348769,  372885,  398668,  426234,  455705,  487215,  520904,  556921,  595430,  636601,  680618,
    727680,  777995,  831789,  889303,  950794,  1016537, 1086825, 1161973, 1242318, 1328218, 1420057,
    1518247, 1623226, 1735464, 1855462, 1983758, 2120925, 2267576, 2424367, 2592000,
};
static_assert(lifetime_table.back() == max_ticket_lifetime);
static_assert(lifetime_table.front() == (first_table_code)*unit_seconds);  // both readings of 0x80 agree

}  // namespace

result<uint8_t> encode_lifetime(uint32_t start, uint32_t end) {
    if (end == never_expires) return lifetime_code_never;
    if (end <= start) return fail(errc::bad_value);
    uint32_t lifetime = end - start;
    if (lifetime > max_ticket_lifetime) return fail(errc::bad_value);
    if (lifetime < lifetime_table.front()) return static_cast<uint8_t>((lifetime + unit_seconds - 1) / unit_seconds);
    // The table is increasing: the first entry long enough is the closest fit.
    for (size_t i = 0; i < lifetime_table.size(); ++i)
        if (lifetime_table[i] >= lifetime) return static_cast<uint8_t>(first_table_code + i);
    return fail(errc::bad_value);  // unreachable: the last entry is the maximum
}

uint32_t decode_lifetime(uint32_t start, uint8_t code) {
    // Additions wrap in 32 bits as they do in every AFS implementation; a start time that
    // close to 2106 then fails the start < end check instead of meaning something else.
    if (code == lifetime_code_never) return never_expires;
    if (code < first_table_code) return start + uint32_t(code) * unit_seconds;
    if (code > last_table_code) return start + max_ticket_lifetime;
    return start + lifetime_table[code - first_table_code];
}

TicketTime check_ticket_time(uint32_t start, uint32_t end, uint32_t now) {
    // 64-bit arithmetic so that no comparison is fooled by 32-bit wrap-around.
    const int64_t s = start, e = end, n = now, skew = clock_skew_allowance, max = max_ticket_lifetime;
    const bool forever = end == never_expires;
    if (s >= e) return TicketTime::invalid;
    if (s > n + skew + max) return TicketTime::invalid;
    if (start != 0 && !forever && e - s > max) return TicketTime::invalid;
    if (!forever && e + skew < n) {
        // Long-dead tickets are treated as garbage rather than merely expired.
        if (start != 0 && n - s > max + 24 * 3600) return TicketTime::invalid;
        return TicketTime::expired;
    }
    const bool started = start == 0 || s - skew <= n;
    if (!started) return TicketTime::not_yet_valid;
    if (start == 0 || forever) return TicketTime::valid_forever;
    return TicketTime::valid;
}

const char* to_string(TicketTime t) {
    switch (t) {
        case TicketTime::invalid: return "invalid";
        case TicketTime::expired: return "expired";
        case TicketTime::not_yet_valid: return "not yet valid";
        case TicketTime::valid_forever: return "valid, no expiry";
        case TicketTime::valid: return "valid";
    }
    return "?";
}

uint32_t unix_now() {
    auto secs = std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch());
    return static_cast<uint32_t>(secs.count());
}

}  // namespace afs::crypto
