// Every message encodes to the documented bytes and decodes back to itself.
#include <doctest/doctest.h>

#include <array>

#include "lib9p/wire.hpp"

using namespace p9;

namespace {

std::vector<std::byte> bytes(std::initializer_list<int> v) {
    std::vector<std::byte> out;
    for (int b : v) out.push_back(std::byte(static_cast<uint8_t>(b)));
    return out;
}

const std::array<std::byte, 5> payload{std::byte{'h'}, std::byte{'e'}, std::byte{'l'}, std::byte{'l'},
                                        std::byte{'o'}};

Qid q(uint64_t path, uint8_t type = qid_type::file) { return Qid{type, 7, path}; }

// One sample of every message type.
std::vector<Message> samples() {
    Rgetattr ga;
    ga.valid = getattr::all;
    ga.qid = q(42);
    ga.mode = 0100644;
    ga.uid = 1000;
    ga.gid = 100;
    ga.nlink = 1;
    ga.size = 123456789;
    ga.blksize = 4096;
    ga.blocks = 8;
    ga.mtime_sec = 1700000000;
    ga.mtime_nsec = 5;
    ga.data_version = 99;
    return {
        Tversion{65536, "9P2000.L"}, Rversion{8192, "9P2000.L"},
        Tauth{1, "root", "/srv", 0}, Rauth{q(3, qid_type::auth)},
        Tattach{0, nofid, "root", "/srv", 0}, Rattach{q(2, qid_type::dir)},
        Rlerror{2}, Tflush{17}, Rflush{},
        Twalk{0, 1, {"a", "bb", "ccc"}}, Rwalk{{q(10, qid_type::dir), q(11, qid_type::dir), q(12)}},
        Twalk{0, 1, {}}, Rwalk{{}},
        Tlopen{1, open_flags::rdwr}, Rlopen{q(12), 0},
        Tlcreate{1, "new.txt", open_flags::wronly | open_flags::create, 0644, 0}, Rlcreate{q(13), 8168},
        Tread{1, 1ull << 40, 65512}, Rread{{payload}}, Rread{{}},
        Twrite{1, 4096, {payload}}, Rwrite{5},
        Tclunk{1}, Rclunk{}, Tremove{1}, Rremove{},
        Tgetattr{1, getattr::basic}, ga,
        Tsetattr{1, setattr::mode | setattr::size, 0600, 0, 0, 10, 0, 0, 0, 0}, Rsetattr{},
        Treaddir{1, 0, 8168}, Rreaddir{{payload}},
        Tfsync{1, 1}, Rfsync{},
        Tstatfs{1}, Rstatfs{0x01021997, 4096, 100, 50, 40, 1000, 900, 0xabcdef, 255},
        Tmkdir{1, "dir", 0755, 0}, Rmkdir{q(20, qid_type::dir)},
        Tsymlink{1, "link", "../target", 0}, Rsymlink{q(21, qid_type::symlink)},
        Tmknod{1, "fifo", 010644, 0, 0, 0}, Rmknod{q(22)},
        Trename{2, 1, "renamed"}, Rrename{},
        Trenameat{1, "old", 3, "new"}, Rrenameat{},
        Tunlinkat{1, "gone", at_removedir}, Runlinkat{},
        Tlink{1, 2, "hard"}, Rlink{},
        Treadlink{2}, Rreadlink{"../target"},
        Txattrwalk{1, 2, "user.x"}, Rxattrwalk{3},
        Txattrcreate{1, "user.x", 3, xattr::create}, Rxattrcreate{},
        Tlock{1, lock::wrlck, lock::flag_block, 0, 100, 4242, "host"}, Rlock{lock::success},
        Tgetlock{1, lock::rdlck, 0, 0, 4242, "host"}, Rgetlock{lock::unlck, 0, 0, 0, ""},
    };
}

}  // namespace

TEST_CASE("every message survives encode then decode, with the right header") {
    uint16_t tag = 1;
    for (const auto& m : samples()) {
        CAPTURE(to_string(m));
        auto enc = encode(tag, m);
        REQUIRE(enc);
        const auto& b = *enc;
        REQUIRE(b.size() >= header_size);
        const uint32_t size = uint32_t(b[0]) | uint32_t(b[1]) << 8 | uint32_t(b[2]) << 16 | uint32_t(b[3]) << 24;
        CHECK(size == b.size());
        CHECK(std::to_integer<uint8_t>(b[4]) == static_cast<uint8_t>(type_of(m)));
        CHECK((uint16_t(b[5]) | uint16_t(b[6]) << 8) == tag);
        auto dec = decode(*enc);
        REQUIRE(dec);
        CHECK(dec->tag == tag);
        CHECK(dec->msg == m);
        ++tag;
    }
}

TEST_CASE("exact bytes of the common messages") {
    SUBCASE("Tversion") {
        auto b = encode(notag, Tversion{8192, "9P2000.L"});
        CHECK(*b == bytes({21, 0, 0, 0, 100, 0xff, 0xff, 0x00, 0x20, 0, 0, 8, 0, '9', 'P', '2', '0', '0', '0', '.', 'L'}));
    }
    SUBCASE("Rlerror") {
        CHECK(*encode(3, Rlerror{13}) == bytes({11, 0, 0, 0, 7, 3, 0, 13, 0, 0, 0}));
    }
    SUBCASE("Twalk with two names") {
        CHECK(*encode(1, Twalk{5, 6, {"ab", "c"}}) ==
              bytes({24, 0, 0, 0, 110, 1, 0, 5, 0, 0, 0, 6, 0, 0, 0, 2, 0, 2, 0, 'a', 'b', 1, 0, 'c'}));
    }
    SUBCASE("Rwalk with one qid") {
        CHECK(*encode(1, Rwalk{{Qid{0x80, 1, 0x0102030405060708}}}) ==
              bytes({22, 0, 0, 0, 111, 1, 0, 1, 0, 0x80, 1, 0, 0, 0, 8, 7, 6, 5, 4, 3, 2, 1}));
    }
    SUBCASE("Tread") {
        CHECK(*encode(2, Tread{1, 0x100, 4096}) ==
              bytes({23, 0, 0, 0, 116, 2, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0x10, 0, 0}));
    }
    SUBCASE("Twrite: whole frame and header-only form agree") {
        auto whole = *encode(9, Twrite{4, 16, {payload}});
        auto head = encode_twrite_header(9, 4, 16, 5);
        REQUIRE(whole.size() == twrite_header_size + 5);
        CHECK(std::equal(head.begin(), head.end(), whole.begin()));
        CHECK(std::equal(payload.begin(), payload.end(), whole.begin() + twrite_header_size));
    }
    SUBCASE("fixed-size bodies have their documented lengths") {
        CHECK(encode(0, Rgetattr{})->size() == header_size + 153);
        CHECK(encode(0, Tsetattr{})->size() == header_size + 60);
        CHECK(encode(0, Rstatfs{})->size() == header_size + 60);
        CHECK(encode(0, Tgetattr{})->size() == header_size + 12);
        CHECK(encode(0, Rlopen{})->size() == header_size + 17);
    }
    SUBCASE("Tunlinkat with AT_REMOVEDIR") {
        CHECK(*encode(1, Tunlinkat{7, "d", at_removedir}) ==
              bytes({18, 0, 0, 0, 76, 1, 0, 7, 0, 0, 0, 1, 0, 'd', 0, 2, 0, 0}));
    }
}

TEST_CASE("directory entries round-trip") {
    std::vector<Dirent> ents{{Qid{qid_type::dir, 0, 1}, 10, dtype::dir, "."},
                             {Qid{qid_type::file, 0, 77}, 20, dtype::reg, "file.bin"},
                             {Qid{qid_type::symlink, 0, 78}, 30, dtype::lnk, "l"}};
    std::vector<std::byte> data;
    for (const auto& d : ents) REQUIRE(!encode_dirent(data, d));
    CHECK(data.size() == 3 * 24 + 1 + 8 + 1);
    auto back = decode_dirents(data);
    REQUIRE(back);
    CHECK(*back == ents);
    auto empty = decode_dirents({});
    REQUIRE(empty);
    CHECK(empty->empty());
}

TEST_CASE("encoding refuses what the wire cannot carry") {
    std::vector<std::byte> out{std::byte{0xAA}};
    std::vector<std::string> seventeen(17, "x");
    CHECK(encode(out, 1, Twalk{0, 1, seventeen}) == errc::too_many_elements);
    CHECK(out.size() == 1);  // left as it was
    CHECK(encode(out, 1, Tlcreate{0, std::string(70000, 'a'), 0, 0, 0}) == errc::string_too_long);
    CHECK(out.size() == 1);
    std::vector<std::string> sixteen(16, "x");
    CHECK(!encode(out, 1, Twalk{0, 1, sixteen}));
}

TEST_CASE("names and formatting") {
    CHECK(is_valid_name("a"));
    CHECK(is_valid_name(".hidden"));
    CHECK(!is_valid_name(""));
    CHECK(!is_valid_name("."));
    CHECK(!is_valid_name(".."));
    CHECK(!is_valid_name("a/b"));
    CHECK(!is_valid_name(std::string_view("a\0b", 3)));
    CHECK(to_string(Message{Twalk{1, 2, {"a", "b"}}}) == "Twalk fid=1 newfid=2 wnames=[\"a\", \"b\"]");
    CHECK(to_string(Message{Rread{{payload}}}) == "Rread data=<5 bytes>");
    CHECK(to_string(Message{Rclunk{}}) == "Rclunk");
    CHECK(to_string(MsgType::Tgetattr) == "Tgetattr");
    CHECK(to_string(static_cast<MsgType>(200)) == "type 200");
}
