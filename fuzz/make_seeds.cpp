// Writes the seed corpus (corpus/<harness>/<name>) from the project's own encoders: valid
// messages of the kinds diod and the OpenAFS cell send, so each harness starts from inputs
// that get past the first length checks. Run from the repository root:
//     build/fuzz/fuzz/make_seeds fuzz/corpus
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "libafs/crypto/rxkad_server.hpp"
#include "libafs/rx/ack.hpp"
#include "libafs/rx/jumbo.hpp"
#include "libafs/rx/packet.hpp"
#include "libafs/wire/cb.hpp"
#include "libafs/wire/dir_builder.hpp"
#include "libafs/wire/fs.hpp"
#include "libafs/wire/vl.hpp"
#include "lib9p/wire.hpp"
#include "record.hpp"
#include "rxkad_setup.hpp"

namespace fsys = std::filesystem;

namespace {

fsys::path root;

void put(const std::string& harness, const std::string& name, std::span<const std::byte> bytes) {
    fsys::create_directories(root / harness);
    std::ofstream(root / harness / name, std::ios::binary)
        .write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
}
void put(const std::string& harness, const std::string& name, std::string_view text) {
    put(harness, name, std::as_bytes(std::span(text.data(), text.size())));
}
std::vector<std::byte> with_selector(uint8_t sel, std::span<const std::byte> b) {
    std::vector<std::byte> v{std::byte{sel}};
    v.insert(v.end(), b.begin(), b.end());
    return v;
}

void p9_seeds() {
    const p9::Qid dir{p9::qid_type::dir, 7, 0x1234}, file{0, 3, 0x5678};
    static const std::byte data[] = {std::byte{'h'}, std::byte{'i'}, std::byte{'\n'}};
    std::vector<std::byte> dirents;
    (void)p9::encode_dirent(dirents, {dir, 1, p9::dtype::dir, "."});
    (void)p9::encode_dirent(dirents, {dir, 2, p9::dtype::dir, ".."});
    (void)p9::encode_dirent(dirents, {file, 3, p9::dtype::reg, "report.pdf"});
    put("p9_dirents", "three", dirents);
    p9::Rgetattr ga;
    ga.valid = 0x3fff;
    ga.qid = file;
    ga.mode = 0100644;
    ga.size = 3;
    ga.nlink = 1;
    const std::vector<std::pair<std::string, p9::Message>> msgs = {
        {"rversion", p9::Rversion{8192, "9P2000.L"}},
        {"rattach", p9::Rattach{dir}},
        {"rwalk", p9::Rwalk{{dir, file}}},
        {"rlopen", p9::Rlopen{file, 8168}},
        {"rlcreate", p9::Rlcreate{file, 8168}},
        {"rread", p9::Rread{p9::Bytes{data}}},
        {"rwrite", p9::Rwrite{3}},
        {"rreaddir", p9::Rreaddir{p9::Bytes{dirents}}},
        {"rgetattr", ga},
        {"rstatfs", p9::Rstatfs{0x01021997, 4096, 100, 50, 50, 1000, 900, 1, 255}},
        {"rlerror", p9::Rlerror{2}},
        {"rclunk", p9::Rclunk{}},
        {"rreadlink", p9::Rreadlink{"target"}},
        {"rmkdir", p9::Rmkdir{dir}},
        {"twalk", p9::Twalk{1, 2, {"docs", "report.pdf"}}},
    };
    std::vector<std::byte> stream{std::byte{1}};
    for (const auto& [name, m] : msgs) {
        auto f = p9::encode(1, m).value();
        put("p9_frame", name, f);
        stream.insert(stream.end(), f.begin(), f.end());
    }
    put("p9_frame", "stream", stream);
}

template <class R> void rpc_seed(const std::string& harness, size_t index, const std::string& name,
                                 const typename R::Request* req, const typename R::Reply* reply) {
    if (req) put(harness, name + "-request", with_selector(static_cast<uint8_t>(index << 1),
                                                           afs::wire::encode_request<R>(*req).value()));
    if (reply) put(harness, name + "-reply", with_selector(static_cast<uint8_t>(index << 1 | 1),
                                                           afs::wire::encode_reply<R>(*reply).value()));
}

void xdr_seeds() {
    namespace vl = afs::wire::vl;
    namespace fs = afs::wire::fs;
    namespace cb = afs::wire::cb;
    vl::GetEntryByNameN::Request vreq{"root.cell"};
    vl::GetEntryByNameN::Reply vrep;
    vrep.entry.name = "root.cell";
    vrep.entry.nservers = 1;
    vrep.entry.server_number[0] = 0x7f010001;
    vrep.entry.server_flags[0] = vl::VLSF_RWVOL | vl::VLSF_ROVOL;
    vrep.entry.volume_id = {536870912, 536870913, 536870914};
    vrep.entry.flags = vl::VLF_RWEXISTS | vl::VLF_ROEXISTS;
    rpc_seed<vl::GetEntryByNameN>("xdr_vl", 0, "getentrybynamen", &vreq, &vrep);
    vl::GetEntryByNameU::Reply urep;
    urep.entry.name = "root.afs";
    urep.entry.nservers = 1;
    urep.entry.server_number[0].time_low = 0x7f010001;
    urep.entry.server_flags[0] = vl::VLSF_RWVOL;
    urep.entry.flags = vl::VLF_RWEXISTS;
    rpc_seed<vl::GetEntryByNameU>("xdr_vl", 1, "getentrybynameu", nullptr, &urep);
    vl::GetAddrsU::Reply arep;
    arep.nentries = 2;
    arep.addrs = {0x7f010001, 0x0a000001};
    rpc_seed<vl::GetAddrsU>("xdr_vl", 2, "getaddrsu", nullptr, &arep);

    fs::FetchStatus::Reply st;
    st.status.length_lo = 3;
    st.status.file_type = afs::wire::file_type::file;
    st.status.link_count = 1;
    st.status.data_version_lo = 9;
    rpc_seed<fs::FetchStatus>("xdr_fs", 2, "fetchstatus", nullptr, &st);
    fs::FetchData64::Request fd{{536870912, 1, 1}, 0, 65536};
    rpc_seed<fs::FetchData64>("xdr_fs", 15, "fetchdata64", &fd, nullptr);
    fs::InlineBulkStatus::Reply ib;
    ib.statuses = {st.status, st.status};
    ib.callbacks.resize(2);
    rpc_seed<fs::InlineBulkStatus>("xdr_fs", 14, "inlinebulkstatus", nullptr, &ib);
    fs::FetchACL::Reply acl;
    acl.acl = std::string("1\n0\nsystem:anyuser\t9\n") + '\0';
    rpc_seed<fs::FetchACL>("xdr_fs", 1, "fetchacl", nullptr, &acl);

    cb::CallBack::Request br;
    br.fids = {{536870912, 4, 2}, {536870912, 0, 0}};
    put("xdr_cb", "callback", afs::wire::encode_request<cb::CallBack>(br).value());
    put("xdr_cb", "probe", afs::wire::encode_request<cb::Probe>({}).value());
    put("xdr_cb", "whoareyou", afs::wire::encode_request<cb::WhoAreYou>({}).value());
    cb::ProbeUuid::Request pu;
    pu.client_uuid.time_low = 0xdeadbeef;
    pu.client_uuid.node = {1, 2, 3, 4, 5, 0xff};
    put("xdr_cb", "probeuuid", afs::wire::encode_request<cb::ProbeUuid>(pu).value());
    put("xdr_cb", "tellme", afs::wire::encode_request<cb::TellMeAboutYourself>({}).value());
}

void dir_seeds() {
    afs::wire::dir::DirectoryBuilder b(1, 1, 1, 1);
    (void)b.add("README", 2, 2);
    (void)b.add("pub", 3, 3);
    (void)b.add("a-rather-longer-name-than-one-blob-holds.txt", 4, 4);
    put("afs_dir", "small", b.bytes());
}

void rx_seeds() {
    namespace rx = afs::rx;
    rx::Header h;
    h.epoch = 0x5a5a0001;
    h.cid = 0x10000001;
    h.call_number = 1;
    h.seq = 1;
    h.serial = 1;
    h.type = rx::PacketType::data;
    h.flags = rx::flag::last_packet;
    h.service_id = 1;
    std::vector<std::byte> d(rx::header_size + 8);
    rx::encode_header(h, std::span<std::byte, rx::header_size>(d.data(), rx::header_size));
    put("rx_packet", "data", d);
    std::vector<std::byte> big(rx::jumbo_buffer_size, std::byte{0x61}), last(100, std::byte{0x62});
    std::vector<rx::JumboPart> parts{{0, 0, big}, {rx::flag::last_packet, 0, last}};
    std::vector<std::byte> jumbo;
    if (!rx::build_jumbogram(h, parts, jumbo)) put("rx_packet", "jumbogram", jumbo);
    h.type = rx::PacketType::abort;
    h.seq = 0;
    std::vector<std::byte> a(rx::header_size + 4);
    rx::encode_header(h, std::span<std::byte, rx::header_size>(a.data(), rx::header_size));
    rx::encode_abort_body(-455, std::span<std::byte, 4>(a.data() + rx::header_size, 4));
    put("rx_packet", "abort", a);

    rx::Ack ack;
    ack.buffer_space = 32;
    ack.first_packet = 5;
    ack.serial = 9;
    ack.reason = static_cast<uint8_t>(rx::AckReason::requested);
    const std::byte acks[] = {std::byte{1}, std::byte{0}, std::byte{1}};
    ack.acks = acks;
    ack.trailer = {1444, 1444, 32, 4, 4};
    std::vector<std::byte> body(rx::ack_body_size(3, 4));
    if (rx::encode_ack(ack, body)) put("rx_ack", "ack3", body);
}

void rxkad_seeds() {
    namespace crypto = afs::crypto;
    const auto& w = netcp_fuzz::rxkad_world();
    for (int level = 0; level < 3; ++level) {
        crypto::Challenge c{0x11223344, static_cast<crypto::Level>(level), true};
        auto body = crypto::encode_challenge(c);
        put("rxkad_challenge", "v2-level" + std::to_string(level), with_selector(static_cast<uint8_t>(level), body));
        auto conn = w.clients[level]->new_connection(w.conn);
        auto resp = conn->respond(body, {1, 2, 3, 4});
        if (resp) put("rxkad_response", "v2-level" + std::to_string(level),
                      with_selector(static_cast<uint8_t>(level << 1), *resp));
        // A sealed DATA area for the packet mode of rxkad_challenge.
        std::vector<std::byte> area(conn->header_size() + 16 + 16, std::byte{0x41});
        uint16_t sum = 0;
        afs::rx::PacketIdentity p{1, 1, 0};
        if (auto n = conn->seal(p, area, 16, sum)) {
            std::vector<std::byte> s{std::byte(level | 4), std::byte{0}, std::byte{0}, std::byte{0}, std::byte{1},
                                     std::byte{0}, std::byte{0}, std::byte{1}, std::byte{0},
                                     std::byte(sum >> 8), std::byte(sum & 0xFF)};
            s.insert(s.end(), area.begin(), area.begin() + static_cast<std::ptrdiff_t>(*n));
            put("rxkad_challenge", "sealed-level" + std::to_string(level), s);
        }
    }
    crypto::Challenge old{0x11223344, crypto::Level::clear, false};
    put("rxkad_challenge", "old", with_selector(0, crypto::encode_challenge(old)));
    put("rxkad_ticket", "bob", w.token.ticket());
    put("keyfile", "one-key", w.keys.serialize());
    auto two = crypto::KeyFile::from_keys({{3, w.server_key}, {5, w.server_key}}).value();
    put("keyfile", "two-keys", two.serialize());
}

// enctype[4] key_length[1] key ticket, as kerberos5_token_fuzz reads them.
void kerberos5_seeds() {
    auto seed = [](const std::string& name, int32_t enctype, size_t key_len, size_t ticket_len) {
        std::vector<std::byte> s;
        for (int shift = 24; shift >= 0; shift -= 8) s.push_back(std::byte(static_cast<uint32_t>(enctype) >> shift));
        s.push_back(std::byte(key_len));
        for (size_t i = 0; i < key_len; ++i) s.push_back(std::byte(0x5a ^ (i * 37)));
        s.insert(s.end(), ticket_len, std::byte{0x61});
        put("kerberos5_token", name, s);
    };
    seed("aes256", 18, 32, 300);
    seed("aes128", 17, 16, 64);
    seed("des-cbc-crc", 1, 8, 40);
    seed("des3", 16, 24, 200);
    seed("rc4", 23, 16, 32);
    seed("refused", 4, 16, 100);
}

void text_seeds() {
    put("cellservdb", "two-cells",
        ">test.afs            #netcp test cell\n127.1.0.1            #afsdb1.test.afs\n"
        ">example.org #Example\n192.0.2.10 #db1.example.org\n[2001:db8::1]:7003 #db2\n");
    put("location", "9p", "9p://alice@fileserver:5640/docs/report%20final.pdf");
    put("location", "9p-ipv6", "9p://[fd00::5]:5640/isos/");
    put("location", "afs", "afs://Example.org/proj/data.bin");
    put("location", "local", "./photos/");
    put("afs_text", "path", "/afs/.example.org/proj/../pub/./README");
    put("afs_text", "url", "afs://example.org/a%20b/c");
    put("afs_text", "mount", "#example.org:root.cell.readonly.");
    put("afs_text", "acl", std::string("2\n1\nsystem:anyuser\t9\nbob\t127\nmallory\t2\n") + '\0');
    put("afs_text", "rights", "rlidwkaA");
    put("afs_text", "uuid", "0123abcd-ef01-2345-6789-abcdef012345");
}

void cache_seeds() {
    netfs::cache::Record r;
    r.key = {"9p:fileserver:564", "/srv/export", "0000000000001234"};
    r.coherency = {3, 1'700'000'000'000'000'000, 7};
    r.extents = {{0, 4096}, {8192, 4096}};
    r.last_used_ns = 1'700'000'000'000'000'000;
    put("cache_record", "two-extents", netfs::cache::encode(r));
    const std::byte ops[] = {std::byte{1}, std::byte{3}, std::byte{0x10}, std::byte{0x20}, std::byte{7},
                             std::byte{0x08}, std::byte{0x30}, std::byte{9}, std::byte{0}, std::byte{0x40}};
    put("extent_map", "ops", ops);
}

}  // namespace

int main(int argc, char** argv) {
    if (argc != 2) {
        std::fprintf(stderr, "usage: make_seeds CORPUS_DIR\n");
        return 2;
    }
    root = argv[1];
    p9_seeds();
    xdr_seeds();
    dir_seeds();
    rx_seeds();
    rxkad_seeds();
    kerberos5_seeds();
    text_seeds();
    cache_seeds();
    return 0;
}
