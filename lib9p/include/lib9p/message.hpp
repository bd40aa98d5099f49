// Every 9P2000.L message a file client uses, as plain structs.
//
// Each struct lists its wire fields, in wire order, through P9_FIELDS. The codec
// (wire.hpp) walks that list to encode and decode, and the formatter prints it, so a
// message's layout is written exactly once.
//
// Payloads (Rread, Twrite, Rreaddir) are `Bytes`, a view: a decoded message points into
// the frame it came from and is valid only as long as that frame.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <tuple>
#include <variant>
#include <vector>

#include "lib9p/constants.hpp"

namespace p9 {

struct Qid {
    uint8_t type = 0;
    uint32_t version = 0;
    uint64_t path = 0;
    bool operator==(const Qid&) const = default;
    bool is_dir() const { return (type & qid_type::dir) != 0; }
    bool is_symlink() const { return (type & qid_type::symlink) != 0; }
};

// A non-owning view of payload bytes.
struct Bytes {
    std::span<const std::byte> view;
    bool operator==(const Bytes& o) const { return std::ranges::equal(view, o.view); }
};

#define P9_FIELDS(Type, ...)                                              \
    auto fields() { return std::tie(__VA_ARGS__); }                       \
    auto fields() const { return std::tie(__VA_ARGS__); }                 \
    static constexpr std::string_view field_names = #__VA_ARGS__;         \
    static constexpr std::string_view type_name = #Type;                       \
    static constexpr MsgType type = MsgType::Type;                        \
    bool operator==(const Type&) const = default;

#define P9_NO_FIELDS(Type)                                                \
    auto fields() { return std::tuple<>(); }                              \
    auto fields() const { return std::tuple<>(); }                        \
    static constexpr std::string_view field_names = "";                   \
    static constexpr std::string_view type_name = #Type;                       \
    static constexpr MsgType type = MsgType::Type;                        \
    bool operator==(const Type&) const = default;

struct Tversion { uint32_t msize = 0; std::string version; P9_FIELDS(Tversion, msize, version) };
struct Rversion { uint32_t msize = 0; std::string version; P9_FIELDS(Rversion, msize, version) };
struct Tauth { uint32_t afid = 0; std::string uname, aname; uint32_t n_uname = nonuname;
               P9_FIELDS(Tauth, afid, uname, aname, n_uname) };
struct Rauth { Qid aqid; P9_FIELDS(Rauth, aqid) };
struct Tattach { uint32_t fid = 0, afid = nofid; std::string uname, aname; uint32_t n_uname = nonuname;
                 P9_FIELDS(Tattach, fid, afid, uname, aname, n_uname) };
struct Rattach { Qid qid; P9_FIELDS(Rattach, qid) };
struct Rlerror { uint32_t ecode = 0; P9_FIELDS(Rlerror, ecode) };
struct Tflush { uint16_t oldtag = 0; P9_FIELDS(Tflush, oldtag) };
struct Rflush { P9_NO_FIELDS(Rflush) };
struct Twalk { uint32_t fid = 0, newfid = 0; std::vector<std::string> wnames;
               P9_FIELDS(Twalk, fid, newfid, wnames) };
struct Rwalk { std::vector<Qid> wqids; P9_FIELDS(Rwalk, wqids) };
struct Tlopen { uint32_t fid = 0, flags = 0; P9_FIELDS(Tlopen, fid, flags) };
struct Rlopen { Qid qid; uint32_t iounit = 0; P9_FIELDS(Rlopen, qid, iounit) };
struct Tlcreate { uint32_t fid = 0; std::string name; uint32_t flags = 0, mode = 0, gid = 0;
                  P9_FIELDS(Tlcreate, fid, name, flags, mode, gid) };
struct Rlcreate { Qid qid; uint32_t iounit = 0; P9_FIELDS(Rlcreate, qid, iounit) };
struct Tread { uint32_t fid = 0; uint64_t offset = 0; uint32_t count = 0; P9_FIELDS(Tread, fid, offset, count) };
struct Rread { Bytes data; P9_FIELDS(Rread, data) };
struct Twrite { uint32_t fid = 0; uint64_t offset = 0; Bytes data; P9_FIELDS(Twrite, fid, offset, data) };
struct Rwrite { uint32_t count = 0; P9_FIELDS(Rwrite, count) };
struct Tclunk { uint32_t fid = 0; P9_FIELDS(Tclunk, fid) };
struct Rclunk { P9_NO_FIELDS(Rclunk) };
struct Tremove { uint32_t fid = 0; P9_FIELDS(Tremove, fid) };
struct Rremove { P9_NO_FIELDS(Rremove) };
struct Tgetattr { uint32_t fid = 0; uint64_t request_mask = 0; P9_FIELDS(Tgetattr, fid, request_mask) };
struct Rgetattr {
    uint64_t valid = 0;
    Qid qid;
    uint32_t mode = 0, uid = 0, gid = 0;
    uint64_t nlink = 0, rdev = 0, size = 0, blksize = 0, blocks = 0;
    uint64_t atime_sec = 0, atime_nsec = 0, mtime_sec = 0, mtime_nsec = 0;
    uint64_t ctime_sec = 0, ctime_nsec = 0, btime_sec = 0, btime_nsec = 0;
    uint64_t gen = 0, data_version = 0;
    P9_FIELDS(Rgetattr, valid, qid, mode, uid, gid, nlink, rdev, size, blksize, blocks, atime_sec, atime_nsec,
              mtime_sec, mtime_nsec, ctime_sec, ctime_nsec, btime_sec, btime_nsec, gen, data_version)
};
struct Tsetattr {
    uint32_t fid = 0, valid = 0, mode = 0, uid = 0, gid = 0;
    uint64_t size = 0, atime_sec = 0, atime_nsec = 0, mtime_sec = 0, mtime_nsec = 0;
    P9_FIELDS(Tsetattr, fid, valid, mode, uid, gid, size, atime_sec, atime_nsec, mtime_sec, mtime_nsec)
};
struct Rsetattr { P9_NO_FIELDS(Rsetattr) };
struct Treaddir { uint32_t fid = 0; uint64_t offset = 0; uint32_t count = 0; P9_FIELDS(Treaddir, fid, offset, count) };
struct Rreaddir { Bytes data; P9_FIELDS(Rreaddir, data) };
struct Tfsync { uint32_t fid = 0, datasync = 0; P9_FIELDS(Tfsync, fid, datasync) };
struct Rfsync { P9_NO_FIELDS(Rfsync) };
struct Tstatfs { uint32_t fid = 0; P9_FIELDS(Tstatfs, fid) };
struct Rstatfs {
    uint32_t fstype = 0, bsize = 0;
    uint64_t blocks = 0, bfree = 0, bavail = 0, files = 0, ffree = 0, fsid = 0;
    uint32_t namelen = 0;
    P9_FIELDS(Rstatfs, fstype, bsize, blocks, bfree, bavail, files, ffree, fsid, namelen)
};
struct Tmkdir { uint32_t dfid = 0; std::string name; uint32_t mode = 0, gid = 0; P9_FIELDS(Tmkdir, dfid, name, mode, gid) };
struct Rmkdir { Qid qid; P9_FIELDS(Rmkdir, qid) };
struct Tsymlink { uint32_t dfid = 0; std::string name, target; uint32_t gid = 0;
                  P9_FIELDS(Tsymlink, dfid, name, target, gid) };
struct Rsymlink { Qid qid; P9_FIELDS(Rsymlink, qid) };
struct Tmknod { uint32_t dfid = 0; std::string name; uint32_t mode = 0, major = 0, minor = 0, gid = 0;
                P9_FIELDS(Tmknod, dfid, name, mode, major, minor, gid) };
struct Rmknod { Qid qid; P9_FIELDS(Rmknod, qid) };
struct Trename { uint32_t fid = 0, dfid = 0; std::string name; P9_FIELDS(Trename, fid, dfid, name) };
struct Rrename { P9_NO_FIELDS(Rrename) };
struct Trenameat { uint32_t olddirfid = 0; std::string oldname; uint32_t newdirfid = 0; std::string newname;
                   P9_FIELDS(Trenameat, olddirfid, oldname, newdirfid, newname) };
struct Rrenameat { P9_NO_FIELDS(Rrenameat) };
struct Tunlinkat { uint32_t dirfid = 0; std::string name; uint32_t flags = 0; P9_FIELDS(Tunlinkat, dirfid, name, flags) };
struct Runlinkat { P9_NO_FIELDS(Runlinkat) };
struct Tlink { uint32_t dfid = 0, fid = 0; std::string name; P9_FIELDS(Tlink, dfid, fid, name) };
struct Rlink { P9_NO_FIELDS(Rlink) };
struct Treadlink { uint32_t fid = 0; P9_FIELDS(Treadlink, fid) };
struct Rreadlink { std::string target; P9_FIELDS(Rreadlink, target) };
struct Txattrwalk { uint32_t fid = 0, newfid = 0; std::string name; P9_FIELDS(Txattrwalk, fid, newfid, name) };
struct Rxattrwalk { uint64_t size = 0; P9_FIELDS(Rxattrwalk, size) };
struct Txattrcreate { uint32_t fid = 0; std::string name; uint64_t attr_size = 0; uint32_t flags = 0;
                      P9_FIELDS(Txattrcreate, fid, name, attr_size, flags) };
struct Rxattrcreate { P9_NO_FIELDS(Rxattrcreate) };
struct Tlock { uint32_t fid = 0; uint8_t lock_type = 0; uint32_t flags = 0; uint64_t start = 0, length = 0;
               uint32_t proc_id = 0; std::string client_id;
               P9_FIELDS(Tlock, fid, lock_type, flags, start, length, proc_id, client_id) };
struct Rlock { uint8_t status = 0; P9_FIELDS(Rlock, status) };
struct Tgetlock { uint32_t fid = 0; uint8_t lock_type = 0; uint64_t start = 0, length = 0; uint32_t proc_id = 0;
                  std::string client_id; P9_FIELDS(Tgetlock, fid, lock_type, start, length, proc_id, client_id) };
struct Rgetlock { uint8_t lock_type = 0; uint64_t start = 0, length = 0; uint32_t proc_id = 0; std::string client_id;
                  P9_FIELDS(Rgetlock, lock_type, start, length, proc_id, client_id) };

#undef P9_FIELDS
#undef P9_NO_FIELDS

using Message = std::variant<
    Tversion, Rversion, Tauth, Rauth, Tattach, Rattach, Rlerror, Tflush, Rflush, Twalk, Rwalk, Tlopen, Rlopen,
    Tlcreate, Rlcreate, Tread, Rread, Twrite, Rwrite, Tclunk, Rclunk, Tremove, Rremove, Tgetattr, Rgetattr,
    Tsetattr, Rsetattr, Treaddir, Rreaddir, Tfsync, Rfsync, Tstatfs, Rstatfs, Tmkdir, Rmkdir, Tsymlink, Rsymlink,
    Tmknod, Rmknod, Trename, Rrename, Trenameat, Rrenameat, Tunlinkat, Runlinkat, Tlink, Rlink, Treadlink,
    Rreadlink, Txattrwalk, Rxattrwalk, Txattrcreate, Rxattrcreate, Tlock, Rlock, Tgetlock, Rgetlock>;

// The reply type that answers a given request type (R = T + 1), e.g. reply_of<Twalk> = Rwalk.
template <class T> struct reply_of;
#define P9_PAIR(T, R) template <> struct reply_of<T> { using type = R; };
P9_PAIR(Tversion, Rversion) P9_PAIR(Tauth, Rauth) P9_PAIR(Tattach, Rattach) P9_PAIR(Tflush, Rflush)
P9_PAIR(Twalk, Rwalk) P9_PAIR(Tlopen, Rlopen) P9_PAIR(Tlcreate, Rlcreate) P9_PAIR(Tread, Rread)
P9_PAIR(Twrite, Rwrite) P9_PAIR(Tclunk, Rclunk) P9_PAIR(Tremove, Rremove) P9_PAIR(Tgetattr, Rgetattr)
P9_PAIR(Tsetattr, Rsetattr) P9_PAIR(Treaddir, Rreaddir) P9_PAIR(Tfsync, Rfsync) P9_PAIR(Tstatfs, Rstatfs)
P9_PAIR(Tmkdir, Rmkdir) P9_PAIR(Tsymlink, Rsymlink) P9_PAIR(Tmknod, Rmknod) P9_PAIR(Trename, Rrename)
P9_PAIR(Trenameat, Rrenameat) P9_PAIR(Tunlinkat, Runlinkat) P9_PAIR(Tlink, Rlink) P9_PAIR(Treadlink, Rreadlink)
P9_PAIR(Txattrwalk, Rxattrwalk) P9_PAIR(Txattrcreate, Rxattrcreate) P9_PAIR(Tlock, Rlock)
P9_PAIR(Tgetlock, Rgetlock)
#undef P9_PAIR
template <class T> using reply_of_t = typename reply_of<T>::type;

inline MsgType type_of(const Message& m) {
    return std::visit([](const auto& x) { return std::decay_t<decltype(x)>::type; }, m);
}

// One entry of an Rreaddir payload.
struct Dirent {
    Qid qid;
    uint64_t offset = 0;  // opaque cookie: pass the last one back to continue
    uint8_t type = 0;     // Linux d_type
    std::string name;
    bool operator==(const Dirent&) const = default;
};

// Linux d_type values carried in Dirent::type.
namespace dtype {
inline constexpr uint8_t unknown = 0, fifo = 1, chr = 2, dir = 4, blk = 6, reg = 8, lnk = 10, sock = 12;
}

}  // namespace p9
