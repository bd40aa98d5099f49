// The Client against in-process fake servers over loopback UDP (our own Rx transport on
// the other side): VL lookups with GetAddrsU and the location cache, retries of busy
// volumes with backoff, a moved volume looked up again, a dead VL server skipped, and the
// callback service answering calls the way a fileserver makes them.
#include <doctest/doctest.h>

#include <asio/executor_work_guard.hpp>
#include <asio/io_context.hpp>
#include <asio/use_future.hpp>
#include <functional>
#include <map>
#include <mutex>
#include <thread>

#include "libafs/client/blocking.hpp"
#include "libafs/rx/null_security.hpp"
#include "libafs/rx/transport.hpp"
#include "libafs/wire/cb.hpp"
#include "libafs/wire/fs.hpp"
#include "libafs/wire/vl.hpp"

using namespace afs;
using namespace afs::client;
namespace vl = afs::wire::vl;
namespace fs = afs::wire::fs;
namespace cb = afs::wire::cb;
using namespace std::chrono_literals;

namespace {

const auto localhost = asio::ip::make_address("127.0.0.1");

// A server on its own Rx transport: each request is read whole and handed to `answer`,
// which returns the reply bytes or an abort code.
class FakeServer {
public:
    struct Answer {
        int32_t abort_code = 0;
        std::vector<std::byte> reply;
    };
    using Handler = std::function<Answer(uint32_t opcode, std::span<const std::byte> request)>;

    FakeServer(uint16_t service, Handler handler) : handler_(std::move(handler)) {
        rx::TransportOptions o;
        o.bind_address = localhost;
        auto t = rx::Transport::create(io_.get_executor(), o);
        REQUIRE(t);
        transport_ = *t;
        transport_->add_service(service, rx::null_security(), [this](std::shared_ptr<rx::Call> call) { serve(call); });
        thread_ = std::thread([this] { io_.run(); });
    }
    ~FakeServer() {
        transport_->close();
        work_.reset();
        thread_.join();
    }

    uint16_t port() const { return transport_->local_endpoint().port(); }
    int calls(uint32_t opcode) const {
        std::lock_guard lock(mutex_);
        auto it = calls_.find(opcode);
        return it == calls_.end() ? 0 : it->second;
    }

private:
    void serve(std::shared_ptr<rx::Call> call) {
        auto buf = std::make_shared<std::vector<std::byte>>(65536);
        call->async_read(std::span<std::byte>(*buf), [this, call, buf](std::error_code ec, size_t n) {
            if (ec) return;
            auto op = wire::opcode_of(std::span<const std::byte>(buf->data(), n));
            if (!op) return call->abort(abort_code::RXGEN_SS_UNMARSHAL);
            {
                std::lock_guard lock(mutex_);
                ++calls_[*op];
            }
            auto a = std::make_shared<Answer>(handler_(*op, std::span<const std::byte>(buf->data(), n)));
            if (a->abort_code) return call->abort(a->abort_code);
            call->async_write(std::span<const std::byte>(a->reply), [call, a](std::error_code wec, size_t) {
                if (!wec) call->async_finish([call](std::error_code) {});
            });
        });
    }

    asio::io_context io_;
    asio::executor_work_guard<asio::io_context::executor_type> work_ = asio::make_work_guard(io_);
    std::shared_ptr<rx::Transport> transport_;
    Handler handler_;
    mutable std::mutex mutex_;
    std::map<uint32_t, int> calls_;
    std::thread thread_;
};

constexpr uint32_t volume_id = 536870999;

wire::afsUUID server_uuid() {
    const std::array<uint8_t, 16> r{9, 9, 9, 9, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};
    return wire::afsUUID::from_random_bytes(r);
}

template <class R>
std::vector<std::byte> reply_bytes(const typename R::Reply& r) {
    auto b = wire::encode_reply<R>(r);
    REQUIRE(b);
    return *b;
}

// A VL server knowing one volume, "vol", on one UUID-registered fileserver at 127.0.0.1.
FakeServer::Handler vl_handler() {
    return [](uint32_t op, std::span<const std::byte> request) -> FakeServer::Answer {
        if (op == vl::GetEntryByNameU::opcode) {
            auto req = wire::decode_request<vl::GetEntryByNameU>(request);
            REQUIRE(req);
            if (req->volume_name != "vol" && req->volume_name != std::to_string(volume_id))
                return {abort_code::VL_NOENT, {}};
            vl::GetEntryByNameU::Reply r;
            r.entry.name = "vol";
            r.entry.nservers = 1;
            r.entry.server_number[0] = server_uuid();
            r.entry.server_flags[0] = vl::VLSF_RWVOL | vl::VLSF_UUID;
            r.entry.volume_id = {volume_id, 0, 0};
            r.entry.flags = vl::VLF_RWEXISTS;
            return {0, reply_bytes<vl::GetEntryByNameU>(r)};
        }
        if (op == vl::GetAddrsU::opcode) {
            auto req = wire::decode_request<vl::GetAddrsU>(request);
            REQUIRE(req);
            CHECK(req->attributes.mask == vl::VLADDR_UUID);
            CHECK(req->attributes.uuid == server_uuid());
            vl::GetAddrsU::Reply r;
            r.uuid = server_uuid();
            r.uniquifier = 1;
            r.nentries = 1;
            r.addrs = {0x7F000001};
            return {0, reply_bytes<vl::GetAddrsU>(r)};
        }
        return {abort_code::RXGEN_OPCODE, {}};
    };
}

// A fileserver whose FetchStatus answers the queued abort codes first, then a status.
struct FsScript {
    std::mutex mutex;
    std::vector<int32_t> aborts;
    FakeServer::Handler handler() {
        return [this](uint32_t op, std::span<const std::byte>) -> FakeServer::Answer {
            if (op != fs::FetchStatus::opcode) return {abort_code::RXGEN_OPCODE, {}};
            {
                std::lock_guard lock(mutex);
                if (!aborts.empty()) {
                    const int32_t code = aborts.front();
                    aborts.erase(aborts.begin());
                    return {code, {}};
                }
            }
            fs::FetchStatus::Reply r;
            r.status.file_type = wire::file_type::directory;
            r.status.set_length(2048);
            return {0, reply_bytes<fs::FetchStatus>(r)};
        };
    }
};

ClientOptions options_for(std::vector<uint16_t> vl_ports, uint16_t fs_port) {
    ClientOptions o;
    CellConfig cell{"fake.cell", {}};
    for (uint16_t p : vl_ports) cell.vl_servers.emplace_back(localhost, p);
    o.cells.push_back(cell);
    o.fileserver_port = fs_port;
    o.retry.first_delay = 10ms;
    o.retry.max_delay = 40ms;
    o.interfaces = std::vector<wire::Interface>{};
    return o;
}

std::unique_ptr<BlockingClient> make_client(ClientOptions o) {
    auto c = BlockingClient::create(std::move(o));
    REQUIRE(c);
    return std::move(*c);
}

const FileRef root{"fake.cell", wire::AFSFid::root_of(volume_id)};

}  // namespace

TEST_CASE("VL: GetEntryByNameU then GetAddrsU, then the cache answers") {
    FakeServer vls(vl::service_id, vl_handler());
    FsScript script;
    FakeServer fss(fs::service_id, script.handler());
    auto c = make_client(options_for({vls.port()}, fss.port()));
    auto v = c->lookup_volume("fake.cell", "vol");
    REQUIRE_MESSAGE(v, v.error().message());
    REQUIRE(v->servers_for(wire::VolumeType::rw).size() == 1);
    CHECK(v->servers_for(wire::VolumeType::rw)[0] == asio::ip::udp::endpoint(localhost, fss.port()));
    CHECK(vls.calls(vl::GetEntryByNameU::opcode) == 1);
    CHECK(vls.calls(vl::GetAddrsU::opcode) == 1);

    // The volume by id, and an FS call on it: all from the cache.
    auto st = c->fetch_status(anonymous(), root);
    REQUIRE_MESSAGE(st, st.error().message());
    CHECK(st->status.is_directory());
    CHECK(st->outcome.attempts == 1);
    CHECK(vls.calls(vl::GetEntryByNameU::opcode) == 1);

    auto missing = c->lookup_volume("fake.cell", "nope");
    REQUIRE(!missing);
    CHECK(missing.error().code == abort_error(abort_code::VL_NOENT));
    CHECK(c->lookup_volume("fake.cell", "vol.readonly").error().code == errc::no_such_volume);
}

TEST_CASE("a busy volume is retried with backoff until it answers") {
    FakeServer vls(vl::service_id, vl_handler());
    FsScript script;
    script.aborts = {abort_code::VBUSY, abort_code::VOFFLINE, abort_code::VSALVAGING};
    FakeServer fss(fs::service_id, script.handler());
    auto c = make_client(options_for({vls.port()}, fss.port()));
    const auto t0 = std::chrono::steady_clock::now();
    auto st = c->fetch_status(anonymous(), root);
    const auto took = std::chrono::steady_clock::now() - t0;
    REQUIRE_MESSAGE(st, st.error().message());
    CHECK(st->outcome.attempts == 4);
    CHECK(took >= 10ms + 20ms + 40ms);
    CHECK(c->async().stats().busy_retries == 3);
    CHECK(fss.calls(fs::FetchStatus::opcode) == 4);
}

TEST_CASE("a volume that stays busy: the last error, with the attempts made") {
    FakeServer vls(vl::service_id, vl_handler());
    FsScript script;
    script.aborts.assign(50, abort_code::VBUSY);
    FakeServer fss(fs::service_id, script.handler());
    auto o = options_for({vls.port()}, fss.port());
    o.retry.max_busy_retries = 3;
    auto c = make_client(o);
    auto st = c->fetch_status(anonymous(), root);
    REQUIRE(!st);
    CHECK(st.error().code == abort_error(abort_code::VBUSY));
    const std::string m = st.error().message();
    MESSAGE(m);
    CHECK(m.find("RXAFS_FetchStatus of fake.cell:536870999.1.1 in volume vol (536870999) on 127.0.0.1:") == 0);
    CHECK(m.find("after 4 attempts: VBUSY (110): volume is busy") != std::string::npos);
    CHECK(fss.calls(fs::FetchStatus::opcode) == 4);
}

TEST_CASE("a moved volume is looked up again at the VL server") {
    FakeServer vls(vl::service_id, vl_handler());
    FsScript script;
    script.aborts = {abort_code::VMOVED, abort_code::VNOVOL};
    FakeServer fss(fs::service_id, script.handler());
    auto c = make_client(options_for({vls.port()}, fss.port()));
    auto st = c->fetch_status(anonymous(), root);
    REQUIRE_MESSAGE(st, st.error().message());
    CHECK(st->outcome.attempts == 3);
    CHECK(c->async().stats().relocations == 2);
    CHECK(vls.calls(vl::GetEntryByNameU::opcode) == 3);  // the first lookup and one per move
    CHECK(vls.calls(vl::GetAddrsU::opcode) == 1);        // the server's addresses stay known
}

TEST_CASE("errors that are not the volume's are reported at once") {
    FakeServer vls(vl::service_id, vl_handler());
    FsScript script;
    script.aborts = {abort_code::UAE_BASE + 12};  // UAEACCES
    FakeServer fss(fs::service_id, script.handler());
    auto c = make_client(options_for({vls.port()}, fss.port()));
    auto st = c->fetch_status(anonymous(), root);
    REQUIRE(!st);
    CHECK(st.error().code == std::errc::permission_denied);
    CHECK(st.error().outcome.attempts == 1);
    CHECK(fss.calls(fs::FetchStatus::opcode) == 1);
}

TEST_CASE("a VL server that does not answer is skipped for the next") {
    // A bound UDP socket nobody reads: our calls to it go unanswered until the dead time.
    asio::io_context io;
    asio::ip::udp::socket silent(io, asio::ip::udp::endpoint(localhost, 0));
    FakeServer vls(vl::service_id, vl_handler());
    FsScript script;
    FakeServer fss(fs::service_id, script.handler());
    auto o = options_for({silent.local_endpoint().port(), vls.port()}, fss.port());
    o.transport.engine.dead_time = 1s;
    auto c = make_client(o);
    auto v = c->lookup_volume("fake.cell", "vol");
    REQUIRE_MESSAGE(v, v.error().message());
    CHECK(vls.calls(vl::GetEntryByNameU::opcode) == 1);
}

TEST_CASE("the callback service answers a fileserver's calls on the client's own socket") {
    auto c = make_client(options_for({}, 7000));
    const auto client_port = c->async().local_endpoint().port();

    asio::io_context io;
    auto work = asio::make_work_guard(io);
    std::thread runner([&] { io.run(); });
    rx::TransportOptions to;
    to.bind_address = localhost;
    auto t = rx::Transport::create(io.get_executor(), to);
    REQUIRE(t);
    auto conn = (*t)->connect({localhost, client_port}, cb::service_id, rx::null_security());

    auto call = [&](std::vector<std::byte> request) -> std::pair<std::error_code, std::vector<std::byte>> {
        try {
            return {{}, conn->async_call(std::move(request), asio::use_future).get()};
        } catch (const std::system_error& e) {
            return {e.code(), {}};
        }
    };
    auto [ec1, tell] = call(*wire::encode_request<cb::TellMeAboutYourself>({}));
    REQUIRE(!ec1);
    auto who = wire::decode_reply<cb::TellMeAboutYourself>(tell);
    REQUIRE(who);
    CHECK(who->addr.uuid == c->async().uuid());
    CHECK(wire::has_capability(who->capabilities, wire::capability::client_errortrans));

    auto [ec2, init] = call(*wire::encode_request<cb::InitCallBackState3>({server_uuid()}));
    CHECK(!ec2);
    CHECK(init.empty());
    auto [ec3, same] = call(*wire::encode_request<cb::ProbeUuid>({c->async().uuid()}));
    CHECK(!ec3);
    auto [ec4, other] = call(*wire::encode_request<cb::ProbeUuid>({server_uuid()}));
    CHECK(ec4 == abort_error(cb::probe_uuid_mismatch));
    cb::CallBack::Request breaks;
    breaks.fids = {{volume_id, 0, 0}};
    auto [ec5, broke] = call(*wire::encode_request<cb::CallBack>(breaks));
    CHECK(!ec5);
    std::vector<std::byte> get_lock = {std::byte{0}, std::byte{0}, std::byte{0}, std::byte{207}, std::byte{0},
                                       std::byte{0}, std::byte{0}, std::byte{0}};
    auto [ec6, lock] = call(get_lock);
    CHECK(ec6 == abort_error(abort_code::RXGEN_OPCODE));

    const auto served = c->async().stats().callbacks_served;
    CHECK(served.at(cb::TellMeAboutYourself::opcode) == 1);
    CHECK(served.at(cb::ProbeUuid::opcode) == 2);
    CHECK(served.at(cb::CallBack::opcode) == 1);
    CHECK(served.at(207) == 1);
    (*t)->close();
    work.reset();
    runner.join();
}
