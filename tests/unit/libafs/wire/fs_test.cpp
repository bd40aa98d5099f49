// FS RPCs: request bytes from the documented layouts, replies from hand-built bytes, the
// split-RPC pieces, and a round trip of every request and reply.
#include <doctest/doctest.h>

#include "libafs/wire/fs.hpp"
#include "wire_test_util.hpp"

using namespace afs;
using namespace afs::wire;
using namespace afs::wire::fs;
using namespace wire_test;

namespace {

const AFSFid fid{536870912, 42, 7};

AFSFetchStatus file_status(uint64_t length) {
    AFSFetchStatus s;
    s.file_type = file_type::file;
    s.link_count = 1;
    s.set_length(length);
    s.set_data_version(3);
    s.owner = 1000;
    s.caller_access = 127;
    s.unix_mode_bits = 0644;
    s.server_mod_time = 1700000000;
    return s;
}

// Words of an AFSFetchStatus, for building replies by hand.
Bytes status_words(uint32_t type, uint32_t length_lo, uint32_t dv_lo, uint32_t error_code = 0) {
    return words({1, type, 1, length_lo, dv_lo, 0, 1000, 127, 0, 0644, 1, 1, 0, 0, 1700000000, 0, 0, 0, 0, 0,
                  error_code});
}

}  // namespace

TEST_CASE("FetchStatus request and reply") {
    CHECK(*encode_request<FetchStatus>({fid}) == words({132, 536870912, 42, 7}));
    const Bytes reply = cat({status_words(file_type::file, 5, 9), words({1, 7200, 2}), words({1600000000, 0, 0, 0, 0, 0})});
    REQUIRE(reply.size() == StatusCallBackAndSync::wire_size);
    auto r = decode_reply<FetchStatus>(reply);
    REQUIRE(r);
    CHECK(r->status.is_file());
    CHECK(r->status.length() == 5);
    CHECK(r->status.data_version() == 9);
    CHECK(r->callback == AFSCallBack{1, 7200, callback_type::shared});
    CHECK(r->volsync.volume_creation_date() == 1600000000);
    CHECK(decode_reply<FetchStatus>(prefix(reply, reply.size() - 4)).error() == errc::truncated);
    CHECK(decode_reply<FetchStatus>(cat({reply, words({0})})).error() == errc::trailing_bytes);
}

TEST_CASE("FetchData64: request, then count, raw bytes, trailer") {
    CHECK(*encode_request<FetchData64>({fid, 0x100000000, 65536}) ==
          words({65537, 536870912, 42, 7, 1, 0, 0, 65536}));

    SUBCASE("the count prefix") {
        CHECK(*decode_fetch_data64_length(words({0, 1000}), 65536) == 1000);
        CHECK(*decode_fetch_data64_length(words({1, 0}), int64_t{1} << 33) == uint64_t{1} << 32);
        CHECK(*decode_fetch_data64_length(words({0, 0}), 10) == 0);  // reading at end of file
        CHECK(decode_fetch_data64_length(words({0, 65537}), 65536).error() == errc::protocol_violation);
        CHECK(decode_fetch_data64_length(words({0x80000000, 0}), INT64_MAX).error() == errc::protocol_violation);
        CHECK(decode_fetch_data64_length(words({0}), 10).error() == errc::truncated);
        CHECK(decode_fetch_data64_length(words({0, 1, 2}), 10).error() == errc::trailing_bytes);
        CHECK(decode_fetch_data64_length(words({0, 1}), -5).error() == errc::protocol_violation);
    }
    SUBCASE("the trailer after the data") {
        const Bytes trailer = cat({status_words(file_type::file, 1000, 4), words({1, 3600, 1}), repeat(0, 6)});
        REQUIRE(trailer.size() == FetchData64::Reply::wire_size);
        auto r = decode_reply<FetchData64>(trailer);
        REQUIRE(r);
        CHECK(r->status.length() == 1000);
        CHECK(r->callback.callback_type == callback_type::exclusive);
    }
    SUBCASE("the 32-bit form") {
        CHECK(*encode_request<FetchData>({fid, 8192, 4096}) == words({130, 536870912, 42, 7, 8192, 4096}));
        CHECK(*decode_fetch_data_length(words({4096}), 4096) == 4096);
        CHECK(decode_fetch_data_length(words({4097}), 4096).error() == errc::protocol_violation);
        CHECK(decode_fetch_data_length(raw({0, 0, 1}), 4096).error() == errc::truncated);
        CHECK(*xdr::encode(FetchData::ReplyPrefix{12}) == words({12}));
    }
}

TEST_CASE("StoreData64 request header, up to FileLength") {
    StoreData64::Request req{fid, {store_mask::set_mod_time, 1700000000, 0, 0, 0, 0}, 0x100000000, 4096, 0x100001000};
    auto b = encode_request<StoreData64>(req);
    REQUIRE(b);
    CHECK(*b == words({65538, 536870912, 42, 7,      // opcode, fid
                       1, 1700000000, 0, 0, 0, 0,     // AFSStoreStatus
                       1, 0, 0, 4096, 1, 0x1000}));   // Pos, Length, FileLength: high word first
    CHECK(b->size() == 4 + StoreData64::Request::wire_size);
    CHECK(*decode_request<StoreData64>(*b) == req);
    // The reply is status and volsync only.
    const Bytes reply = cat({status_words(file_type::file, 0x1000, 5), repeat(0, 6)});
    CHECK(decode_reply<StoreData64>(reply)->status.data_version() == 5);

    StoreData::Request old{fid, {}, 10, 20, 30};
    CHECK(*encode_request<StoreData>(old) == cat({words({133, 536870912, 42, 7}), repeat(0, 6), words({10, 20, 30})}));
}

TEST_CASE("FileLength for a plain write never truncates") {
    CHECK(plain_write_file_length(100, 0, 10) == 100);
    CHECK(plain_write_file_length(100, 95, 10) == 105);
    CHECK(plain_write_file_length(0, 0, 0) == 0);
}

TEST_CASE("directory operations") {
    const AFSStoreStatus mode{store_mask::set_mode | store_mask::set_mod_time, 1700000000, 0, 0, 0644, 0};
    CHECK(*encode_request<CreateFile>({fid, "new.txt", mode}) ==
          cat({words({137, 536870912, 42, 7}), raw({0, 0, 0, 7, 'n', 'e', 'w', '.', 't', 'x', 't', 0}),
               words({9, 1700000000, 0, 0, 0644, 0})}));
    CHECK(opcode_of(*encode_request<MakeDir>({fid, "d", mode})) == 141u);
    CHECK(*encode_request<RemoveFile>({fid, "gone"}) == cat({words({136, 536870912, 42, 7}), xdr_string("gone")}));
    CHECK(*encode_request<RemoveDir>({fid, "dir"}) == cat({words({142, 536870912, 42, 7}), xdr_string("dir")}));
    CHECK(*encode_request<Rename>({fid, "a", {1, 2, 3}, "bb"}) ==
          cat({words({138, 536870912, 42, 7}), xdr_string("a"), words({1, 2, 3}), xdr_string("bb")}));
    CHECK(*encode_request<Symlink>({fid, "ln", "../t", mode}) ==
          cat({words({139, 536870912, 42, 7}), xdr_string("ln"), xdr_string("../t"), words({9, 1700000000, 0, 0, 0644, 0})}));

    SUBCASE("names over 256 bytes and link contents over 1024 are not sent") {
        std::vector<std::byte> out;
        CHECK(encode_request<CreateFile>(out, {fid, std::string(257, 'n'), mode}) == errc::too_large);
        CHECK(out.empty());
        CHECK(encode_request<CreateFile>({fid, std::string(256, 'n'), mode}));
        CHECK(encode_request<Symlink>({fid, "l", std::string(1025, 't'), mode}).error() == errc::too_large);
        CHECK(encode_request<Rename>({fid, "a", fid, std::string(257, 'b')}).error() == errc::too_large);
    }
    SUBCASE("CreateFile reply: new fid, its status, the directory's, callback, volsync") {
        const Bytes reply = cat({words({536870912, 44, 9}), status_words(file_type::file, 0, 1),
                                 status_words(file_type::directory, 2048, 8), words({1, 7200, 1}), repeat(0, 6)});
        auto r = decode_reply<CreateFile>(reply);
        REQUIRE(r);
        CHECK(r->fid == AFSFid{536870912, 44, 9});
        CHECK(r->status.is_file());
        CHECK(r->dir_status.is_directory());
        CHECK(r->dir_status.data_version() == 8);
    }
    SUBCASE("Symlink reply has no callback") {
        const Bytes reply = cat({words({536870912, 45, 1}), status_words(file_type::symlink, 4, 1),
                                 status_words(file_type::directory, 2048, 9), repeat(0, 6)});
        auto r = decode_reply<Symlink>(reply);
        REQUIRE(r);
        CHECK(r->status.is_symlink());
        CHECK(decode_reply<CreateFile>(reply).error() == errc::truncated);
    }
}

TEST_CASE("InlineBulkStatus: per-entry errors, counts bounded and matched") {
    InlineBulkStatus::Request req{{{1, 2, 3}, {1, 4, 5}}};
    CHECK(*encode_request<InlineBulkStatus>(req) == words({65536, 2, 1, 2, 3, 1, 4, 5}));

    const Bytes reply = cat({words({2}), status_words(file_type::file, 10, 1), status_words(0, 0, 0, 102),
                             words({2, 1, 3600, 2, 0, 0, 0}), repeat(0, 6)});
    auto r = decode_reply<InlineBulkStatus>(reply);
    REQUIRE(r);
    REQUIRE(r->statuses.size() == 2);
    CHECK(!r->statuses[0].error());
    CHECK(r->statuses[1].error() == abort_error(abort_code::VNOVNODE));
    CHECK(!check_reply(req, *r));
    CHECK(check_reply({{{1, 2, 3}}}, *r) == errc::protocol_violation);
    auto short_cbs = *r;
    short_cbs.callbacks.pop_back();
    CHECK(check_reply(req, short_cbs) == errc::protocol_violation);

    std::vector<AFSFid> fifty_one(51);
    CHECK(encode_request<InlineBulkStatus>({fifty_one}).error() == errc::too_large);
    CHECK(encode_request<InlineBulkStatus>({std::vector<AFSFid>(50)}));
    CHECK(decode_reply<InlineBulkStatus>(cat({words({51}), repeat(0, 51 * 21), words({0}), repeat(0, 6)})).error() ==
          errc::too_large);
    CHECK(decode_request<InlineBulkStatus>(words({65536, 51})).error() == errc::too_large);
    // A count that the bytes cannot hold.
    CHECK(decode_reply<InlineBulkStatus>(words({50, 1, 2})).error() == errc::truncated);
}

TEST_CASE("GiveUpCallBacks, GetCapabilities, ACLs, volume status") {
    CHECK(*encode_request<GiveUpCallBacks>({{{1, 2, 3}}, {}}) == words({147, 1, 1, 2, 3, 0}));
    CHECK(decode_reply<GiveUpCallBacks>(Bytes{}));
    CHECK(decode_reply<GiveUpCallBacks>(words({0})).error() == errc::trailing_bytes);

    CHECK(*encode_request<GetCapabilities>({}) == words({65540}));
    auto caps = decode_reply<GetCapabilities>(words({1, 0xF}));
    REQUIRE(caps);
    CHECK(has_capability(caps->capabilities, capability::viced_64bitfiles));
    CHECK(decode_reply<GetCapabilities>(cat({words({197}), repeat(0, 197)})).error() == errc::too_large);

    CHECK(*encode_request<FetchACL>({fid}) == words({131, 536870912, 42, 7}));
    const std::string acl_text = std::string("1\n0\nalice\t127\n") + '\0';
    auto acl = decode_reply<FetchACL>(cat({xdr_string(acl_text), status_words(file_type::directory, 2048, 1), repeat(0, 6)}));
    REQUIRE(acl);
    CHECK(parse_acl(acl->acl)->positive[0].name == "alice");
    CHECK(decode_reply<FetchACL>(cat({words({1025}), repeat(0, 300)})).error() == errc::too_large);
    CHECK(*encode_request<StoreACL>({fid, acl_text}) == cat({words({134, 536870912, 42, 7}), xdr_string(acl_text)}));

    CHECK(*encode_request<GetVolumeStatus>({536870912}) == words({149, 536870912}));
    const Bytes vs = cat({words({536870912, 536870912, 1, 1, 1, 0, 1, 0, 5000, 1234, 100000, 200000}),
                          xdr_string("home.alice"), xdr_string(""), xdr_string("hello")});
    auto v = decode_reply<GetVolumeStatus>(vs);
    REQUIRE(v);
    CHECK(v->status.max_quota == 5000);
    CHECK(v->status.online == 1);
    CHECK(v->volume_name == "home.alice");
    CHECK(v->motd == "hello");
}

TEST_CASE("requests are checked against their opcode") {
    const auto b = *encode_request<FetchStatus>({fid});
    CHECK(decode_request<FetchStatus>(b));
    CHECK(decode_request<FetchACL>(b).error() == errc::bad_value);
    CHECK(decode_request<FetchStatus>(prefix(b, 3)).error() == errc::truncated);
    CHECK(opcode_of(prefix(b, 3)).error() == errc::truncated);
    CHECK(opcode_of(b) == 132u);
}

namespace {

template <class R>
void round_trip(const typename R::Request& req, const typename R::Reply& reply) {
    CAPTURE(R::name);
    auto req_bytes = encode_request<R>(req);
    REQUIRE(req_bytes);
    CHECK(opcode_of(*req_bytes) == R::opcode);
    auto req_back = decode_request<R>(*req_bytes);
    REQUIRE(req_back);
    CHECK(*req_back == req);
    auto reply_bytes = encode_reply<R>(reply);
    REQUIRE(reply_bytes);
    auto reply_back = decode_reply<R>(*reply_bytes);
    REQUIRE(reply_back);
    CHECK(*reply_back == reply);
    // Cut short anywhere, both fail.
    for (size_t n = 0; n < req_bytes->size(); ++n) CHECK(!decode_request<R>(prefix(*req_bytes, n)));
    for (size_t n = 0; n < reply_bytes->size(); ++n) CHECK(!decode_reply<R>(prefix(*reply_bytes, n)));
}

}  // namespace

TEST_CASE("every FS RPC survives encode then decode, both ways, and fails when cut short") {
    const AFSFetchStatus st = file_status(123456789012);
    AFSFetchStatus dir = file_status(4096);
    dir.file_type = file_type::directory;
    const AFSCallBack cb{1, 7200, callback_type::shared};
    const AFSVolSync vs{1600000000, 0, 0, 0, 0, 0};
    const AFSStoreStatus ss{store_mask::set_mode, 0, 0, 0, 0600, 0};
    const CreateReply created{{1, 50, 2}, st, dir, cb, vs};

    round_trip<FetchData>({fid, 0, 100}, {st, cb, vs});
    round_trip<FetchACL>({fid}, {"0\n0\n", dir, vs});
    round_trip<FetchStatus>({fid}, {st, cb, vs});
    round_trip<StoreData>({fid, ss, 0, 100, 100}, {st, vs});
    round_trip<StoreACL>({fid, std::string("0\n0\n") + '\0'}, {dir, vs});
    round_trip<StoreStatus>({fid, ss}, {st, vs});
    round_trip<RemoveFile>({fid, "x"}, {dir, vs});
    round_trip<CreateFile>({fid, "x", ss}, created);
    round_trip<Rename>({fid, "a", {1, 1, 1}, "b"}, {dir, dir, vs});
    round_trip<Symlink>({fid, "s", "/afs/x", ss}, {{1, 51, 1}, st, dir, vs});
    round_trip<MakeDir>({fid, "d", ss}, created);
    round_trip<RemoveDir>({fid, "d"}, {dir, vs});
    round_trip<GiveUpCallBacks>({{fid, fid}, {cb, cb}}, {});
    round_trip<GetVolumeStatus>({-5}, {{1, 2, 1, 1, 0, 0, 1, 0, 10, 5, 100, 200}, "v", "offline", ""});
    round_trip<InlineBulkStatus>({{fid, fid}}, {{st, dir}, {cb, cb}, vs});
    round_trip<FetchData64>({fid, int64_t{1} << 40, 1 << 20}, {st, cb, vs});
    round_trip<StoreData64>({fid, ss, uint64_t{1} << 40, 1 << 20, (uint64_t{1} << 40) + (1 << 20)}, {st, vs});
    round_trip<GiveUpAllCallBacks>({}, {});
    round_trip<GetCapabilities>({}, {{capability::viced_errortrans | capability::viced_64bitfiles}});
}
