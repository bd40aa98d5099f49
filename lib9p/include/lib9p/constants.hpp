// Protocol constants of 9P2000.L: message numbers, magic values, flag bits.
#pragma once

#include <cstdint>

namespace p9 {

inline constexpr const char* protocol_version = "9P2000.L";
inline constexpr uint16_t notag = 0xFFFF;
inline constexpr uint32_t nofid = 0xFFFFFFFF;
inline constexpr uint32_t nonuname = 0xFFFFFFFF;
inline constexpr unsigned max_walk_elements = 16;
inline constexpr uint32_t header_size = 7;         // size[4] type[1] tag[2]
inline constexpr uint32_t io_header_size = 24;     // what servers reserve around read/write payloads
inline constexpr uint32_t twrite_header_size = 23; // size type tag fid[4] offset[8] count[4]
inline constexpr uint32_t rread_header_size = 11;  // size type tag count[4]

enum class MsgType : uint8_t {
    Tlerror = 6, Rlerror = 7,
    Tstatfs = 8, Rstatfs = 9,
    Tlopen = 12, Rlopen = 13,
    Tlcreate = 14, Rlcreate = 15,
    Tsymlink = 16, Rsymlink = 17,
    Tmknod = 18, Rmknod = 19,
    Trename = 20, Rrename = 21,
    Treadlink = 22, Rreadlink = 23,
    Tgetattr = 24, Rgetattr = 25,
    Tsetattr = 26, Rsetattr = 27,
    Txattrwalk = 30, Rxattrwalk = 31,
    Txattrcreate = 32, Rxattrcreate = 33,
    Treaddir = 40, Rreaddir = 41,
    Tfsync = 50, Rfsync = 51,
    Tlock = 52, Rlock = 53,
    Tgetlock = 54, Rgetlock = 55,
    Tlink = 70, Rlink = 71,
    Tmkdir = 72, Rmkdir = 73,
    Trenameat = 74, Rrenameat = 75,
    Tunlinkat = 76, Runlinkat = 77,
    Tversion = 100, Rversion = 101,
    Tauth = 102, Rauth = 103,
    Tattach = 104, Rattach = 105,
    Tflush = 108, Rflush = 109,
    Twalk = 110, Rwalk = 111,
    Tread = 116, Rread = 117,
    Twrite = 118, Rwrite = 119,
    Tclunk = 120, Rclunk = 121,
    Tremove = 122, Rremove = 123,
};

// qid.type bits.
namespace qid_type {
inline constexpr uint8_t dir = 0x80, append = 0x40, excl = 0x20, mount = 0x10, auth = 0x08, tmp = 0x04,
                         symlink = 0x02, link = 0x01, file = 0x00;
}

// Tgetattr request_mask / Rgetattr valid bits.
namespace getattr {
inline constexpr uint64_t mode = 0x1, nlink = 0x2, uid = 0x4, gid = 0x8, rdev = 0x10, atime = 0x20,
                          mtime = 0x40, ctime = 0x80, ino = 0x100, size = 0x200, blocks = 0x400,
                          btime = 0x800, gen = 0x1000, data_version = 0x2000, basic = 0x7ff, all = 0x3fff;
}

// Tsetattr valid bits.
namespace setattr {
inline constexpr uint32_t mode = 0x1, uid = 0x2, gid = 0x4, size = 0x8, atime = 0x10, mtime = 0x20,
                          ctime = 0x40, atime_set = 0x80, mtime_set = 0x100;
}

// Tlopen / Tlcreate flags: the Linux generic O_* values.
namespace open_flags {
inline constexpr uint32_t rdonly = 0, wronly = 01, rdwr = 02, create = 0100, excl = 0200, noctty = 0400,
                          trunc = 01000, append = 02000, nonblock = 04000, dsync = 010000, direct = 040000,
                          largefile = 0100000, directory = 0200000, nofollow = 0400000, noatime = 01000000,
                          cloexec = 02000000, sync = 04000000;
}

inline constexpr uint32_t at_removedir = 0x200;  // Tunlinkat flags

// Tlock / Tgetlock.
namespace lock {
inline constexpr uint8_t rdlck = 0, wrlck = 1, unlck = 2;          // type
inline constexpr uint32_t flag_block = 1, flag_reclaim = 2;        // Tlock flags
inline constexpr uint8_t success = 0, blocked = 1, error = 2, grace = 3;  // Rlock status
}

// Txattrcreate flags.
namespace xattr {
inline constexpr uint32_t create = 1, replace = 2;
}

}  // namespace p9
