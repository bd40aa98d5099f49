// The fileserver (FS) service: Rx service 1 on UDP 7000.
//
// Reply fields are named for what they describe: `status` is the file the call is about
// (OutStatus / OutFidStatus), `dir_status` its directory, `fid` a newly created file.
//
// Split RPCs carry raw bulk data in the call stream, unpadded, between the XDR parts:
//   FetchData64  request:  opcode, Request
//                reply:    ReplyPrefix (the byte count n, 8 bytes), n raw bytes, Reply (trailer)
//   StoreData64  request:  opcode, Request (up to FileLength), then `length` raw bytes
//                reply:    Reply
// The 32-bit FetchData/StoreData are framed the same way with 32-bit counts; use them only
// when a server answers the 64-bit ones with RXGEN_OPCODE (-455).
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "libafs/wire/acl.hpp"
#include "libafs/wire/rpc.hpp"
#include "libafs/wire/types.hpp"

namespace afs::wire::fs {

inline constexpr uint16_t service_id = 1;
inline constexpr uint16_t default_port = 7000;

// The results most calls end with.
struct StatusAndSync {
    AFSFetchStatus status;
    AFSVolSync volsync;
    static constexpr size_t wire_size = AFSFetchStatus::wire_size + AFSVolSync::wire_size;
    static void xdr(auto& io, auto& self) { io(self.status, self.volsync); }
    bool operator==(const StatusAndSync&) const = default;
};

struct StatusCallBackAndSync {
    AFSFetchStatus status;
    AFSCallBack callback;
    AFSVolSync volsync;
    static constexpr size_t wire_size = AFSFetchStatus::wire_size + AFSCallBack::wire_size + AFSVolSync::wire_size;
    static void xdr(auto& io, auto& self) { io(self.status, self.callback, self.volsync); }
    bool operator==(const StatusCallBackAndSync&) const = default;
};

struct FidRequest {
    AFSFid fid;
    static void xdr(auto& io, auto& self) { io(self.fid); }
    bool operator==(const FidRequest&) const = default;
};

// A name in a directory (RemoveFile, RemoveDir).
struct DirNameRequest {
    AFSFid dir_fid;
    std::string name;
    static void xdr(auto& io, auto& self) { io(self.dir_fid, xdr::string<afs_name_max>(self.name)); }
    bool operator==(const DirNameRequest&) const = default;
};

// A new entry in a directory (CreateFile, MakeDir).
struct CreateRequest {
    AFSFid dir_fid;
    std::string name;
    AFSStoreStatus store_status;
    static void xdr(auto& io, auto& self) {
        io(self.dir_fid, xdr::string<afs_name_max>(self.name), self.store_status);
    }
    bool operator==(const CreateRequest&) const = default;
};

struct CreateReply {
    AFSFid fid;
    AFSFetchStatus status;
    AFSFetchStatus dir_status;
    AFSCallBack callback;
    AFSVolSync volsync;
    static void xdr(auto& io, auto& self) { io(self.fid, self.status, self.dir_status, self.callback, self.volsync); }
    bool operator==(const CreateReply&) const = default;
};

struct DirStatusAndSync {
    AFSFetchStatus dir_status;
    AFSVolSync volsync;
    static void xdr(auto& io, auto& self) { io(self.dir_status, self.volsync); }
    bool operator==(const DirStatusAndSync&) const = default;
};

// ---------------------------------------------------------------------------------------
// RPCs, by opcode

struct FetchData {
    static constexpr uint32_t opcode = 130;
    static constexpr std::string_view name = "RXAFS_FetchData";
    struct Request {
        AFSFid fid;
        int32_t pos = 0;
        int32_t length = 0;
        static void xdr(auto& io, auto& self) { io(self.fid, self.pos, self.length); }
        bool operator==(const Request&) const = default;
    };
    struct ReplyPrefix {
        uint32_t length = 0;
        static constexpr size_t wire_size = 4;
        static void xdr(auto& io, auto& self) { io(self.length); }
        bool operator==(const ReplyPrefix&) const = default;
    };
    using Reply = StatusCallBackAndSync;  // after the data
};

struct FetchACL {
    static constexpr uint32_t opcode = 131;
    static constexpr std::string_view name = "RXAFS_FetchACL";
    using Request = FidRequest;
    struct Reply {
        std::string acl;  // AFSOpaque: ACL text, NUL-terminated by OpenAFS; parse with parse_acl
        AFSFetchStatus status;
        AFSVolSync volsync;
        static void xdr(auto& io, auto& self) { io(xdr::opaque<afs_opaque_max>(self.acl), self.status, self.volsync); }
        bool operator==(const Reply&) const = default;
    };
};

struct FetchStatus {
    static constexpr uint32_t opcode = 132;
    static constexpr std::string_view name = "RXAFS_FetchStatus";
    using Request = FidRequest;
    using Reply = StatusCallBackAndSync;
};

struct StoreData {
    static constexpr uint32_t opcode = 133;
    static constexpr std::string_view name = "RXAFS_StoreData";
    struct Request {  // then `length` raw bytes
        AFSFid fid;
        AFSStoreStatus store_status;
        uint32_t pos = 0;
        uint32_t length = 0;
        uint32_t file_length = 0;
        static constexpr size_t wire_size = AFSFid::wire_size + AFSStoreStatus::wire_size + 12;
        static void xdr(auto& io, auto& self) {
            io(self.fid, self.store_status, self.pos, self.length, self.file_length);
        }
        bool operator==(const Request&) const = default;
    };
    using Reply = StatusAndSync;
};

struct StoreACL {  // opcode 134 is StoreACL on 1.8 (later trees call it OldStoreACL)
    static constexpr uint32_t opcode = 134;
    static constexpr std::string_view name = "RXAFS_StoreACL";
    struct Request {
        AFSFid fid;
        std::string acl;  // AFSOpaque; build it with make_store_acl
        static void xdr(auto& io, auto& self) { io(self.fid, xdr::opaque<afs_opaque_max>(self.acl)); }
        bool operator==(const Request&) const = default;
    };
    using Reply = StatusAndSync;
};

struct StoreStatus {
    static constexpr uint32_t opcode = 135;
    static constexpr std::string_view name = "RXAFS_StoreStatus";
    struct Request {
        AFSFid fid;
        AFSStoreStatus store_status;
        static void xdr(auto& io, auto& self) { io(self.fid, self.store_status); }
        bool operator==(const Request&) const = default;
    };
    using Reply = StatusAndSync;
};

struct RemoveFile {
    static constexpr uint32_t opcode = 136;
    static constexpr std::string_view name = "RXAFS_RemoveFile";
    using Request = DirNameRequest;
    using Reply = DirStatusAndSync;
};

struct CreateFile {
    static constexpr uint32_t opcode = 137;
    static constexpr std::string_view name = "RXAFS_CreateFile";
    using Request = CreateRequest;
    using Reply = CreateReply;
};

struct Rename {
    static constexpr uint32_t opcode = 138;
    static constexpr std::string_view name = "RXAFS_Rename";
    struct Request {
        AFSFid old_dir_fid;
        std::string old_name;
        AFSFid new_dir_fid;
        std::string new_name;
        static void xdr(auto& io, auto& self) {
            io(self.old_dir_fid, xdr::string<afs_name_max>(self.old_name), self.new_dir_fid,
               xdr::string<afs_name_max>(self.new_name));
        }
        bool operator==(const Request&) const = default;
    };
    struct Reply {
        AFSFetchStatus old_dir_status;
        AFSFetchStatus new_dir_status;
        AFSVolSync volsync;
        static void xdr(auto& io, auto& self) { io(self.old_dir_status, self.new_dir_status, self.volsync); }
        bool operator==(const Reply&) const = default;
    };
};

struct Symlink {
    static constexpr uint32_t opcode = 139;
    static constexpr std::string_view name = "RXAFS_Symlink";
    struct Request {
        AFSFid dir_fid;
        std::string name;
        std::string link_contents;
        AFSStoreStatus store_status;
        static void xdr(auto& io, auto& self) {
            io(self.dir_fid, xdr::string<afs_name_max>(self.name), xdr::string<afs_path_max>(self.link_contents),
               self.store_status);
        }
        bool operator==(const Request&) const = default;
    };
    struct Reply {  // no callback, unlike CreateFile and MakeDir
        AFSFid fid;
        AFSFetchStatus status;
        AFSFetchStatus dir_status;
        AFSVolSync volsync;
        static void xdr(auto& io, auto& self) { io(self.fid, self.status, self.dir_status, self.volsync); }
        bool operator==(const Reply&) const = default;
    };
};

struct MakeDir {
    static constexpr uint32_t opcode = 141;
    static constexpr std::string_view name = "RXAFS_MakeDir";
    using Request = CreateRequest;
    using Reply = CreateReply;
};

struct RemoveDir {
    static constexpr uint32_t opcode = 142;
    static constexpr std::string_view name = "RXAFS_RemoveDir";
    using Request = DirNameRequest;
    using Reply = DirStatusAndSync;
};

struct GiveUpCallBacks {
    static constexpr uint32_t opcode = 147;
    static constexpr std::string_view name = "RXAFS_GiveUpCallBacks";
    struct Request {
        AFSCBFids fids;
        AFSCBs callbacks;  // may be empty
        static void xdr(auto& io, auto& self) {
            io(xdr::array<afs_cb_max>(self.fids), xdr::array<afs_cb_max>(self.callbacks));
        }
        bool operator==(const Request&) const = default;
    };
    struct Reply : xdr::Empty {};
};

struct GetVolumeStatus {
    static constexpr uint32_t opcode = 149;
    static constexpr std::string_view name = "RXAFS_GetVolumeStatus";
    struct Request {
        int32_t volume_id = 0;
        static void xdr(auto& io, auto& self) { io(self.volume_id); }
        bool operator==(const Request&) const = default;
    };
    struct Reply {
        AFSFetchVolumeStatus status;
        std::string volume_name;
        std::string offline_message;
        std::string motd;
        static void xdr(auto& io, auto& self) {
            io(self.status, xdr::string<afs_name_max>(self.volume_name),
               xdr::string<afs_opaque_max>(self.offline_message), xdr::string<afs_opaque_max>(self.motd));
        }
        bool operator==(const Reply&) const = default;
    };
};

struct InlineBulkStatus {
    static constexpr uint32_t opcode = 65536;
    static constexpr std::string_view name = "RXAFS_InlineBulkStatus";
    struct Request {
        AFSCBFids fids;  // at most 50
        static void xdr(auto& io, auto& self) { io(xdr::array<afs_cb_max>(self.fids)); }
        bool operator==(const Request&) const = default;
    };
    // statuses[i] and callbacks[i] answer fids[i]; a file that failed has its own
    // statuses[i].error_code (see AFSFetchStatus::error) instead of failing the call.
    struct Reply {
        AFSBulkStats statuses;
        AFSCBs callbacks;
        AFSVolSync volsync;
        static void xdr(auto& io, auto& self) {
            io(xdr::array<afs_cb_max>(self.statuses), xdr::array<afs_cb_max>(self.callbacks), self.volsync);
        }
        bool operator==(const Reply&) const = default;
    };
};

struct FetchData64 {
    static constexpr uint32_t opcode = 65537;
    static constexpr std::string_view name = "RXAFS_FetchData64";
    struct Request {
        AFSFid fid;
        int64_t pos = 0;
        int64_t length = 0;
        static void xdr(auto& io, auto& self) { io(self.fid, self.pos, self.length); }
        bool operator==(const Request&) const = default;
    };
    struct ReplyPrefix {
        uint64_t length = 0;
        static constexpr size_t wire_size = 8;
        static void xdr(auto& io, auto& self) { io(self.length); }
        bool operator==(const ReplyPrefix&) const = default;
    };
    using Reply = StatusCallBackAndSync;  // after the data
};

struct StoreData64 {
    static constexpr uint32_t opcode = 65538;
    static constexpr std::string_view name = "RXAFS_StoreData64";
    struct Request {  // then `length` raw bytes
        AFSFid fid;
        AFSStoreStatus store_status;
        uint64_t pos = 0;
        uint64_t length = 0;
        uint64_t file_length = 0;  // see plain_write_file_length
        static constexpr size_t wire_size = AFSFid::wire_size + AFSStoreStatus::wire_size + 24;
        static void xdr(auto& io, auto& self) {
            io(self.fid, self.store_status, self.pos, self.length, self.file_length);
        }
        bool operator==(const Request&) const = default;
    };
    using Reply = StatusAndSync;
};

struct GiveUpAllCallBacks {
    static constexpr uint32_t opcode = 65539;
    static constexpr std::string_view name = "RXAFS_GiveUpAllCallBacks";
    struct Request : xdr::Empty {};
    struct Reply : xdr::Empty {};
};

struct GetCapabilities {
    static constexpr uint32_t opcode = 65540;
    static constexpr std::string_view name = "RXAFS_GetCapabilities";
    struct Request : xdr::Empty {};
    struct Reply {
        Capabilities capabilities;  // capability::viced_* bits in word 0
        static void xdr(auto& io, auto& self) { io(xdr::array<afs_capabilities_max>(self.capabilities)); }
        bool operator==(const Reply&) const = default;
    };
};

// ---------------------------------------------------------------------------------------
// Helpers

// Decodes the byte count that opens a FetchData64 reply (exactly 8 bytes) and checks it:
// the server clips the count to the file size, so more than `requested` is
// errc::protocol_violation.
[[nodiscard]] result<uint64_t> decode_fetch_data64_length(std::span<const std::byte> prefix, int64_t requested);
// The same for the 32-bit FetchData (4 bytes).
[[nodiscard]] result<uint32_t> decode_fetch_data_length(std::span<const std::byte> prefix, int32_t requested);

// FileLength for a StoreData64 that writes [pos, pos + length) without truncating: the
// fileserver truncates to FileLength first when it is below the current length.
constexpr uint64_t plain_write_file_length(uint64_t current_length, uint64_t pos, uint64_t length) {
    return current_length > pos + length ? current_length : pos + length;
}

// An InlineBulkStatus reply must answer every fid of its request, in order; a reply with
// other counts is errc::protocol_violation.
[[nodiscard]] std::error_code check_reply(const InlineBulkStatus::Request& request, const InlineBulkStatus::Reply& reply);

// A StoreACL request carrying `acl` as OpenAFS expects it (text plus a NUL); an ACL whose
// text does not fit in AFSOpaque is errc::too_large.
[[nodiscard]] result<StoreACL::Request> make_store_acl(const AFSFid& fid, const Acl& acl);

}  // namespace afs::wire::fs
