// Error values for libafs.
//
// Three sources of errors, one std::error_code each:
//  * Codes a remote Rx peer sends in an ABORT (or a connection-level abort): Rx and rxgen
//    codes, volume codes (VBUSY, VMOVED...), VL, PR, rxkad codes. abort_error() maps them:
//    the host errno values a fileserver returns (EACCES 13, ENOENT 2...) and the "uae"
//    translated errnos (UAEACCES...) become std::generic_category() errors, so callers
//    compare with std::errc; everything else keeps its OpenAFS number in abort_category(),
//    with OpenAFS's name in the message ("VBUSY (110): volume is busy").
//  * What libafs itself detects (malformed input, timeouts...): afs::errc in category().
//  * Local system errors: std::generic_category / std::system_category as usual.
#pragma once

#include <cstdint>
#include <string>
#include <system_error>

#include <tl/expected.hpp>

namespace afs {

template <class T>
using result = tl::expected<T, std::error_code>;

inline tl::unexpected<std::error_code> fail(std::error_code ec) { return tl::unexpected<std::error_code>(ec); }

// Errors libafs detects itself.
enum class errc {
    truncated = 1,        // input ends before its fields do
    too_large,            // a length or count above what the protocol (or we) allow
    trailing_bytes,       // input continues after its last field
    bad_value,            // a field holds a value the protocol does not allow
    protocol_violation,   // the peer broke the protocol
    not_connected,        // no transport, or it was closed
    timed_out,            // no answer in time
    cancelled,            // the caller cancelled the operation
    peer_dead,            // nothing heard from the peer for the dead time (Rx RX_CALL_DEAD locally)
    bad_key_file,         // a KeyFile that cannot be parsed
    no_key,               // no key of the needed kind or version
    bad_ticket,           // a ticket that cannot be built or parsed
    security_mismatch,    // a challenge or packet that does not fit the security class in use
    no_such_volume,       // the VL server does not know the volume
    no_such_cell,         // no VL server is known for the cell
    not_a_directory,      // a directory blob that does not parse
};

const std::error_category& category() noexcept;
inline std::error_code make_error_code(errc e) noexcept { return {static_cast<int>(e), category()}; }

// The remote abort code space, named as OpenAFS names it.
const std::error_category& abort_category() noexcept;

// Well-known abort codes.
namespace abort_code {
// Rx (rx.h) and rxgen
inline constexpr int32_t RX_CALL_DEAD = -1, RX_INVALID_OPERATION = -2, RX_CALL_TIMEOUT = -3, RX_EOF = -4,
                         RX_PROTOCOL_ERROR = -5, RX_USER_ABORT = -6, RX_ADDRINUSE = -7, RX_MSGSIZE = -8,
                         RX_RESTARTING = -100;
inline constexpr int32_t RXGEN_CC_MARSHAL = -450, RXGEN_CC_UNMARSHAL = -451, RXGEN_SS_MARSHAL = -452,
                         RXGEN_SS_UNMARSHAL = -453, RXGEN_DECODE = -454, RXGEN_OPCODE = -455,
                         RXGEN_SS_XDRFREE = -456, RXGEN_CC_XDRFREE = -457;
// Volume and fileserver (afs/errors.h)
inline constexpr int32_t VSALVAGE = 101, VNOVNODE = 102, VNOVOL = 103, VVOLEXISTS = 104, VNOSERVICE = 105,
                         VOFFLINE = 106, VONLINE = 107, VDISKFULL = 108, VOVERQUOTA = 109, VBUSY = 110,
                         VMOVED = 111, VIO = 112, VSALVAGING = 113, VRESTRICTED = 120;
inline constexpr int32_t VICECONNBAD = 1234, VICETOKENDEAD = 1235;
// rxkad (com_err base 19270400)
inline constexpr int32_t RXKADINCONSISTENCY = 19270400, RXKADPACKETSHORT = 19270401, RXKADLEVELFAIL = 19270402,
                         RXKADTICKETLEN = 19270403, RXKADOUTOFSEQUENCE = 19270404, RXKADNOAUTH = 19270405,
                         RXKADBADKEY = 19270406, RXKADBADTICKET = 19270407, RXKADUNKNOWNKEY = 19270408,
                         RXKADEXPIRED = 19270409, RXKADSEALEDINCON = 19270410, RXKADDATALEN = 19270411,
                         RXKADILLEGALLEVEL = 19270412;
// VL (com_err base 363520) and PR (267264): the first and last of each table
inline constexpr int32_t VL_IDEXIST = 363520, VL_NOENT = 363524, VL_DBBAD = 363552;
inline constexpr int32_t PREXIST = 267264, PRNOENT = 267268;
// uae: translated errnos (com_err base 49733376), sent when the client advertises ERRORTRANS
inline constexpr int32_t UAE_BASE = 49733376, UAE_LAST = 49733376 + 255;
}  // namespace abort_code

// Maps a remote abort code to an error_code, as described at the top of this file.
std::error_code abort_error(int32_t code) noexcept;

// The abort code to send for a local error (for aborting calls we serve or make).
int32_t to_abort_code(std::error_code ec) noexcept;

// Classification for retry policy.
bool is_volume_busy(std::error_code ec) noexcept;     // VBUSY, VOFFLINE, VSALVAGING, VRESTARTING: wait, retry
bool is_volume_moved(std::error_code ec) noexcept;    // VMOVED, VNOVOL: re-ask the VL server
bool is_key_error(std::error_code ec) noexcept;       // EACCES, EPERM, rxkad ticket/key errors, VICETOKENDEAD

}  // namespace afs

template <>
struct std::is_error_code_enum<afs::errc> : std::true_type {};
