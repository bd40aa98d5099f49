#include "libafs/error.hpp"

#include <cerrno>
#include <cstdio>
#include <utility>

namespace afs {
namespace {

class LibraryCategory final : public std::error_category {
public:
    const char* name() const noexcept override { return "afs"; }
    std::string message(int ev) const override {
        switch (static_cast<errc>(ev)) {
            case errc::truncated: return "AFS message truncated";
            case errc::too_large: return "AFS message field larger than allowed";
            case errc::trailing_bytes: return "AFS message has bytes after its last field";
            case errc::bad_value: return "AFS message field holds an invalid value";
            case errc::protocol_violation: return "AFS peer violated the protocol";
            case errc::not_connected: return "not connected";
            case errc::timed_out: return "AFS call timed out";
            case errc::cancelled: return "AFS call cancelled";
            case errc::peer_dead: return "AFS server stopped answering (Rx dead time reached)";
            case errc::bad_key_file: return "the AFS KeyFile cannot be parsed";
            case errc::no_key: return "no usable key in the AFS KeyFile";
            case errc::bad_ticket: return "the AFS ticket cannot be built or parsed";
            case errc::security_mismatch: return "AFS security class mismatch";
            case errc::no_such_volume: return "no such AFS volume";
            case errc::no_such_cell: return "no VL server known for the AFS cell";
            case errc::not_a_directory: return "AFS directory contents cannot be parsed";
        }
        return "unknown afs error " + std::to_string(ev);
    }
    std::error_condition default_error_condition(int ev) const noexcept override {
        switch (static_cast<errc>(ev)) {
            case errc::timed_out: return std::errc::timed_out;
            case errc::cancelled: return std::errc::operation_canceled;
            case errc::not_connected: return std::errc::not_connected;
            case errc::no_such_volume: return std::errc::no_such_file_or_directory;
            default: return {ev, *this};
        }
    }
};

struct Named {
    int32_t code;
    const char* name;
    const char* text;
};

constexpr Named named_codes[] = {
    {-1, "RX_CALL_DEAD", "server stopped answering"},
    {-2, "RX_INVALID_OPERATION", "invalid Rx operation"},
    {-3, "RX_CALL_TIMEOUT", "Rx call timed out"},
    {-4, "RX_EOF", "unexpected end of Rx call data"},
    {-5, "RX_PROTOCOL_ERROR", "Rx protocol error"},
    {-6, "RX_USER_ABORT", "Rx call aborted by the user"},
    {-7, "RX_ADDRINUSE", "Rx address in use"},
    {-8, "RX_MSGSIZE", "Rx message too large"},
    {-100, "RX_RESTARTING", "server is restarting"},
    {-450, "RXGEN_CC_MARSHAL", "client could not marshal the request"},
    {-451, "RXGEN_CC_UNMARSHAL", "client could not unmarshal the reply"},
    {-452, "RXGEN_SS_MARSHAL", "server could not marshal the reply"},
    {-453, "RXGEN_SS_UNMARSHAL", "server could not unmarshal the request"},
    {-454, "RXGEN_DECODE", "rxgen decode error"},
    {-455, "RXGEN_OPCODE", "server does not implement this RPC"},
    {-456, "RXGEN_SS_XDRFREE", "server XDR free error"},
    {-457, "RXGEN_CC_XDRFREE", "client XDR free error"},
    {101, "VSALVAGE", "volume needs to be salvaged"},
    {102, "VNOVNODE", "no such file (vnode) in the volume"},
    {103, "VNOVOL", "volume is not on this server"},
    {104, "VVOLEXISTS", "volume already exists"},
    {105, "VNOSERVICE", "volume is not in service"},
    {106, "VOFFLINE", "volume is offline"},
    {107, "VONLINE", "volume is already online"},
    {108, "VDISKFULL", "partition is full"},
    {109, "VOVERQUOTA", "volume is over its quota"},
    {110, "VBUSY", "volume is busy"},
    {111, "VMOVED", "volume has moved to another server"},
    {112, "VIO", "vnode is temporarily inaccessible"},
    {113, "VSALVAGING", "volume is being salvaged"},
    {120, "VRESTRICTED", "volume access is restricted"},
    {1234, "VICECONNBAD", "bad fileserver connection"},
    {1235, "VICETOKENDEAD", "authentication token has expired"},
    {19270400, "RXKADINCONSISTENCY", "security module structure inconsistent"},
    {19270401, "RXKADPACKETSHORT", "packet too short for security challenge"},
    {19270402, "RXKADLEVELFAIL", "security level negotiation failed"},
    {19270403, "RXKADTICKETLEN", "ticket length too short or too long"},
    {19270404, "RXKADOUTOFSEQUENCE", "packet had bad sequence number"},
    {19270405, "RXKADNOAUTH", "caller not authorized"},
    {19270406, "RXKADBADKEY", "illegal key: bad parity or weak"},
    {19270407, "RXKADBADTICKET", "security object was passed a bad ticket"},
    {19270408, "RXKADUNKNOWNKEY", "ticket contained unknown key version number"},
    {19270409, "RXKADEXPIRED", "authentication expired"},
    {19270410, "RXKADSEALEDINCON", "sealed data inconsistent"},
    {19270411, "RXKADDATALEN", "user data too long"},
    {19270412, "RXKADILLEGALLEVEL", "caller not authorized to use encrypted connections"},
    {363520, "VL_IDEXIST", "volume id already exists"},
    {363521, "VL_IO", "VL server I/O error"},
    {363522, "VL_NAMEEXIST", "volume name already exists"},
    {363523, "VL_CREATEFAIL", "cannot create VLDB entry"},
    {363524, "VL_NOENT", "no such volume"},
    {363525, "VL_EMPTY", "VLDB is empty"},
    {363526, "VL_ENTDELETED", "VLDB entry was deleted"},
    {363527, "VL_BADNAME", "bad volume name"},
    {363528, "VL_BADINDEX", "bad VLDB index"},
    {363529, "VL_BADVOLTYPE", "bad volume type"},
    {363530, "VL_BADSERVER", "bad server"},
    {363531, "VL_BADPARTITION", "bad partition"},
    {363546, "VL_PERM", "no permission for this VL operation"},
    {363547, "VL_NOMEM", "VL server out of memory"},
    {363548, "VL_BADVERSION", "bad VL interface version"},
    {363552, "VL_DBBAD", "VLDB is damaged"},
    {267264, "PREXIST", "entry already exists"},
    {267265, "PRIDEXIST", "id already exists"},
    {267266, "PRNOIDS", "no ids left"},
    {267267, "PRDBFAIL", "protection database failure"},
    {267268, "PRNOENT", "no such user or group"},
    {5376, "UNOQUORUM", "no ubik quorum elected"},
};

const Named* find_named(int32_t code) {
    for (const auto& n : named_codes)
        if (n.code == code) return &n;
    return nullptr;
}

constexpr std::pair<int32_t, int> uae_to_errno[] = {
#ifdef EPERM
    {49733376, EPERM},
#endif
#ifdef ENOENT
    {49733377, ENOENT},
#endif
#ifdef ESRCH
    {49733378, ESRCH},
#endif
#ifdef EINTR
    {49733379, EINTR},
#endif
#ifdef EIO
    {49733380, EIO},
#endif
#ifdef ENXIO
    {49733381, ENXIO},
#endif
#ifdef E2BIG
    {49733382, E2BIG},
#endif
#ifdef ENOEXEC
    {49733383, ENOEXEC},
#endif
#ifdef EBADF
    {49733384, EBADF},
#endif
#ifdef ECHILD
    {49733385, ECHILD},
#endif
#ifdef EAGAIN
    {49733386, EAGAIN},
#endif
#ifdef ENOMEM
    {49733387, ENOMEM},
#endif
#ifdef EACCES
    {49733388, EACCES},
#endif
#ifdef EFAULT
    {49733389, EFAULT},
#endif
#ifdef ENOTBLK
    {49733390, ENOTBLK},
#endif
#ifdef EBUSY
    {49733391, EBUSY},
#endif
#ifdef EEXIST
    {49733392, EEXIST},
#endif
#ifdef EXDEV
    {49733393, EXDEV},
#endif
#ifdef ENODEV
    {49733394, ENODEV},
#endif
#ifdef ENOTDIR
    {49733395, ENOTDIR},
#endif
#ifdef EISDIR
    {49733396, EISDIR},
#endif
#ifdef EINVAL
    {49733397, EINVAL},
#endif
#ifdef ENFILE
    {49733398, ENFILE},
#endif
#ifdef EMFILE
    {49733399, EMFILE},
#endif
#ifdef ENOTTY
    {49733400, ENOTTY},
#endif
#ifdef ETXTBSY
    {49733401, ETXTBSY},
#endif
#ifdef EFBIG
    {49733402, EFBIG},
#endif
#ifdef ENOSPC
    {49733403, ENOSPC},
#endif
#ifdef ESPIPE
    {49733404, ESPIPE},
#endif
#ifdef EROFS
    {49733405, EROFS},
#endif
#ifdef EMLINK
    {49733406, EMLINK},
#endif
#ifdef EPIPE
    {49733407, EPIPE},
#endif
#ifdef EDOM
    {49733408, EDOM},
#endif
#ifdef ERANGE
    {49733409, ERANGE},
#endif
#ifdef EDEADLK
    {49733410, EDEADLK},
#endif
#ifdef ENAMETOOLONG
    {49733411, ENAMETOOLONG},
#endif
#ifdef ENOLCK
    {49733412, ENOLCK},
#endif
#ifdef ENOSYS
    {49733413, ENOSYS},
#endif
#ifdef ENOTEMPTY
    {49733414, ENOTEMPTY},
#endif
#ifdef ELOOP
    {49733415, ELOOP},
#endif
#ifdef EWOULDBLOCK
    {49733416, EWOULDBLOCK},
#endif
#ifdef ENOMSG
    {49733417, ENOMSG},
#endif
#ifdef EIDRM
    {49733418, EIDRM},
#endif
#ifdef ECHRNG
    {49733419, ECHRNG},
#endif
#ifdef EL2NSYNC
    {49733420, EL2NSYNC},
#endif
#ifdef EL3HLT
    {49733421, EL3HLT},
#endif
#ifdef EL3RST
    {49733422, EL3RST},
#endif
#ifdef ELNRNG
    {49733423, ELNRNG},
#endif
#ifdef EUNATCH
    {49733424, EUNATCH},
#endif
#ifdef ENOCSI
    {49733425, ENOCSI},
#endif
#ifdef EL2HLT
    {49733426, EL2HLT},
#endif
#ifdef EBADE
    {49733427, EBADE},
#endif
#ifdef EBADR
    {49733428, EBADR},
#endif
#ifdef EXFULL
    {49733429, EXFULL},
#endif
#ifdef ENOANO
    {49733430, ENOANO},
#endif
#ifdef EBADRQC
    {49733431, EBADRQC},
#endif
#ifdef EBADSLT
    {49733432, EBADSLT},
#endif
#ifdef EBFONT
    {49733433, EBFONT},
#endif
#ifdef ENOSTR
    {49733434, ENOSTR},
#endif
#ifdef ENODATA
    {49733435, ENODATA},
#endif
#ifdef ETIME
    {49733436, ETIME},
#endif
#ifdef ENOSR
    {49733437, ENOSR},
#endif
#ifdef ENONET
    {49733438, ENONET},
#endif
#ifdef ENOPKG
    {49733439, ENOPKG},
#endif
#ifdef EREMOTE
    {49733440, EREMOTE},
#endif
#ifdef ENOLINK
    {49733441, ENOLINK},
#endif
#ifdef EADV
    {49733442, EADV},
#endif
#ifdef ESRMNT
    {49733443, ESRMNT},
#endif
#ifdef ECOMM
    {49733444, ECOMM},
#endif
#ifdef EPROTO
    {49733445, EPROTO},
#endif
#ifdef EMULTIHOP
    {49733446, EMULTIHOP},
#endif
#ifdef EDOTDOT
    {49733447, EDOTDOT},
#endif
#ifdef EBADMSG
    {49733448, EBADMSG},
#endif
#ifdef EOVERFLOW
    {49733449, EOVERFLOW},
#endif
#ifdef ENOTUNIQ
    {49733450, ENOTUNIQ},
#endif
#ifdef EBADFD
    {49733451, EBADFD},
#endif
#ifdef EREMCHG
    {49733452, EREMCHG},
#endif
#ifdef ELIBACC
    {49733453, ELIBACC},
#endif
#ifdef ELIBBAD
    {49733454, ELIBBAD},
#endif
#ifdef ELIBSCN
    {49733455, ELIBSCN},
#endif
#ifdef ELIBMAX
    {49733456, ELIBMAX},
#endif
#ifdef ELIBEXEC
    {49733457, ELIBEXEC},
#endif
#ifdef EILSEQ
    {49733458, EILSEQ},
#endif
#ifdef ERESTART
    {49733459, ERESTART},
#endif
#ifdef ESTRPIPE
    {49733460, ESTRPIPE},
#endif
#ifdef EUSERS
    {49733461, EUSERS},
#endif
#ifdef ENOTSOCK
    {49733462, ENOTSOCK},
#endif
#ifdef EDESTADDRREQ
    {49733463, EDESTADDRREQ},
#endif
#ifdef EMSGSIZE
    {49733464, EMSGSIZE},
#endif
#ifdef EPROTOTYPE
    {49733465, EPROTOTYPE},
#endif
#ifdef ENOPROTOOPT
    {49733466, ENOPROTOOPT},
#endif
#ifdef EPROTONOSUPPORT
    {49733467, EPROTONOSUPPORT},
#endif
#ifdef ESOCKTNOSUPPORT
    {49733468, ESOCKTNOSUPPORT},
#endif
#ifdef EOPNOTSUPP
    {49733469, EOPNOTSUPP},
#endif
#ifdef EPFNOSUPPORT
    {49733470, EPFNOSUPPORT},
#endif
#ifdef EAFNOSUPPORT
    {49733471, EAFNOSUPPORT},
#endif
#ifdef EADDRINUSE
    {49733472, EADDRINUSE},
#endif
#ifdef EADDRNOTAVAIL
    {49733473, EADDRNOTAVAIL},
#endif
#ifdef ENETDOWN
    {49733474, ENETDOWN},
#endif
#ifdef ENETUNREACH
    {49733475, ENETUNREACH},
#endif
#ifdef ENETRESET
    {49733476, ENETRESET},
#endif
#ifdef ECONNABORTED
    {49733477, ECONNABORTED},
#endif
#ifdef ECONNRESET
    {49733478, ECONNRESET},
#endif
#ifdef ENOBUFS
    {49733479, ENOBUFS},
#endif
#ifdef EISCONN
    {49733480, EISCONN},
#endif
#ifdef ENOTCONN
    {49733481, ENOTCONN},
#endif
#ifdef ESHUTDOWN
    {49733482, ESHUTDOWN},
#endif
#ifdef ETOOMANYREFS
    {49733483, ETOOMANYREFS},
#endif
#ifdef ETIMEDOUT
    {49733484, ETIMEDOUT},
#endif
#ifdef ECONNREFUSED
    {49733485, ECONNREFUSED},
#endif
#ifdef EHOSTDOWN
    {49733486, EHOSTDOWN},
#endif
#ifdef EHOSTUNREACH
    {49733487, EHOSTUNREACH},
#endif
#ifdef EALREADY
    {49733488, EALREADY},
#endif
#ifdef EINPROGRESS
    {49733489, EINPROGRESS},
#endif
#ifdef ESTALE
    {49733490, ESTALE},
#endif
#ifdef EUCLEAN
    {49733491, EUCLEAN},
#endif
#ifdef ENOTNAM
    {49733492, ENOTNAM},
#endif
#ifdef ENAVAIL
    {49733493, ENAVAIL},
#endif
#ifdef EISNAM
    {49733494, EISNAM},
#endif
#ifdef EREMOTEIO
    {49733495, EREMOTEIO},
#endif
#ifdef EDQUOT
    {49733496, EDQUOT},
#endif
#ifdef ENOMEDIUM
    {49733497, ENOMEDIUM},
#endif
#ifdef EMEDIUMTYPE
    {49733498, EMEDIUMTYPE},
#endif
};

class AbortCategory final : public std::error_category {
public:
    const char* name() const noexcept override { return "afs-abort"; }
    std::string message(int ev) const override {
        if (const Named* n = find_named(ev)) return std::string(n->name) + " (" + std::to_string(ev) + "): " + n->text;
        return "AFS error " + std::to_string(ev);
    }
    std::error_condition default_error_condition(int ev) const noexcept override {
        switch (ev) {
            case abort_code::RX_CALL_DEAD:
            case abort_code::RX_CALL_TIMEOUT: return std::errc::timed_out;
            case abort_code::VDISKFULL: return std::errc::no_space_on_device;
            case abort_code::VOVERQUOTA: return {EDQUOT, std::generic_category()};
            case abort_code::VNOVNODE: return std::errc::no_such_file_or_directory;
            case abort_code::VL_NOENT: return std::errc::no_such_file_or_directory;
            case abort_code::RXKADNOAUTH:
            case abort_code::VICETOKENDEAD:
            case abort_code::RXKADEXPIRED: return std::errc::permission_denied;
            default: return {ev, *this};
        }
    }
};

bool is_named_volume_code(int32_t code) { return (code >= 101 && code <= 113) || code == 120; }

}  // namespace

const std::error_category& category() noexcept {
    static const LibraryCategory c;
    return c;
}

const std::error_category& abort_category() noexcept {
    static const AbortCategory c;
    return c;
}

std::error_code abort_error(int32_t code) noexcept {
    if (code >= abort_code::UAE_BASE && code <= abort_code::UAE_LAST) {
        for (const auto& [uae, e] : uae_to_errno)
            if (uae == code) return {e, std::generic_category()};
    }
    // A fileserver sends its host's errno for ordinary failures; 101..120 are volume codes.
    if (code > 0 && code < 256 && !is_named_volume_code(code)) return {code, std::generic_category()};
    return {code, abort_category()};
}

int32_t to_abort_code(std::error_code ec) noexcept {
    if (ec.category() == abort_category()) return ec.value();
    if (ec.category() == std::generic_category() || ec.category() == std::system_category()) return ec.value();
    if (ec == errc::cancelled) return abort_code::RX_USER_ABORT;
    if (ec == errc::timed_out || ec == errc::peer_dead) return abort_code::RX_CALL_DEAD;
    return abort_code::RX_PROTOCOL_ERROR;
}

bool is_volume_busy(std::error_code ec) noexcept {
    if (ec.category() != abort_category()) return false;
    switch (ec.value()) {
        case abort_code::VBUSY:
        case abort_code::VOFFLINE:
        case abort_code::VSALVAGING:
        case abort_code::VSALVAGE:
        case abort_code::RX_RESTARTING: return true;
        default: return false;
    }
}

bool is_volume_moved(std::error_code ec) noexcept {
    return ec.category() == abort_category() &&
           (ec.value() == abort_code::VMOVED || ec.value() == abort_code::VNOVOL);
}

bool is_key_error(std::error_code ec) noexcept {
    if (ec == std::errc::permission_denied || ec == std::errc::operation_not_permitted) return true;
    if (ec.category() != abort_category()) return false;
    const int v = ec.value();
    return v == abort_code::VICETOKENDEAD || v == abort_code::VICECONNBAD ||
           (v >= abort_code::RXKADINCONSISTENCY && v <= abort_code::RXKADILLEGALLEVEL);
}

}  // namespace afs
