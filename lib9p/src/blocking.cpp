#include "lib9p/blocking.hpp"

#include <algorithm>
#include <condition_variable>
#include <deque>
#include <future>
#include <memory>
#include <mutex>
#include <thread>
#include <tuple>
#include <unordered_set>

#include <asio/executor_work_guard.hpp>
#include <asio/io_context.hpp>

namespace p9 {

// The I/O thread and the client, shared by the BlockingClient and every Fid it made, so
// a Fid that outlives its BlockingClient can still clunk (or at least not crash).
struct Fid::Owner {
    asio::io_context ctx{1};
    asio::executor_work_guard<asio::io_context::executor_type> guard{ctx.get_executor()};
    std::shared_ptr<Client> client;
    std::thread thread;

    ~Owner() {
        if (client) {
            client->close();
            std::promise<void> closed;
            auto done = closed.get_future();
            asio::post(client->get_executor(), [&closed] { closed.set_value(); });
            done.wait();
        }
        guard.reset();
        ctx.stop();
        if (thread.joinable()) {
            if (thread.get_id() == std::this_thread::get_id()) thread.detach();
            else thread.join();
        }
    }
};

Fid& Fid::operator=(Fid&& o) noexcept {
    if (this != &o) {
        reset();
        owner_ = std::move(o.owner_);
        fid_ = std::exchange(o.fid_, nofid);
        qid_ = o.qid_;
    }
    return *this;
}

void Fid::reset() {
    if (owner_ && fid_ != nofid) {
        auto& c = *owner_->client;
        if (c.connected()) c.async_clunk(fid_, [](std::error_code) {});
        else c.release_fid(fid_);
    }
    fid_ = nofid;
    owner_.reset();
}

namespace {

// Collects one completion (error_code, Ts...) for a blocking caller.
template <class... Ts>
class Waiter {
public:
    Waiter() : future_(promise_.get_future()) {}
    auto handler() {
        return [this](std::error_code ec, Ts... v) { promise_.set_value({ec, std::move(v)...}); };
    }
    std::tuple<std::error_code, Ts...> get() { return future_.get(); }

private:
    std::promise<std::tuple<std::error_code, Ts...>> promise_;
    std::future<std::tuple<std::error_code, Ts...>> future_;
};

template <class Request>
result<reply_of_t<Request>> call(Client& c, Request req) {
    Waiter<reply_of_t<Request>> w;
    c.async_call(std::move(req), w.handler());
    auto [ec, reply] = w.get();
    if (ec) return fail(ec);
    return std::move(reply);
}

template <class Request>
std::error_code call_ec(Client& c, Request req) {
    auto r = call(c, std::move(req));
    return r ? std::error_code{} : r.error();
}

std::vector<std::string> split_path(std::string_view path) {
    std::vector<std::string> out;
    size_t i = 0;
    while (i <= path.size()) {
        size_t j = path.find('/', i);
        if (j == std::string_view::npos) j = path.size();
        auto part = path.substr(i, j - i);
        if (!part.empty() && part != ".") out.emplace_back(part);
        i = j + 1;
    }
    return out;
}

}  // namespace

result<std::unique_ptr<BlockingClient>> BlockingClient::connect(const Endpoint& endpoint, ClientOptions options) {
    auto owner = std::make_shared<Fid::Owner>();
    owner->client = Client::create(owner->ctx.get_executor(), options);
    owner->thread = std::thread([o = owner.get()] { o->ctx.run(); });
    Waiter<> w;
    owner->client->async_connect(endpoint, w.handler());
    auto [ec] = w.get();
    if (ec) return fail(ec);
    return std::unique_ptr<BlockingClient>(new BlockingClient(std::move(owner)));
}

BlockingClient::BlockingClient(std::shared_ptr<Fid::Owner> owner)
    : owner_(std::move(owner)), client_(owner_->client) {}

BlockingClient::~BlockingClient() = default;

result<Fid> BlockingClient::attach(const std::string& aname, const std::string& uname, uint32_t n_uname) {
    Waiter<uint32_t, Qid> w;
    client_->async_attach(aname, uname, n_uname, w.handler());
    auto [ec, fid, qid] = w.get();
    if (ec) return fail(ec);
    return adopt(fid, qid);
}

namespace {

// An error the server itself answered (an Rlerror errno), as opposed to the connection
// failing or lib9p refusing a reply.
bool answered_by_server(std::error_code ec) { return ec.category() == std::generic_category(); }

}  // namespace

result<Fid> BlockingClient::attach(const std::string& aname, const std::string& uname, uint32_t n_uname,
                                   const AttachAuth& auth) {
    if (auth.policy == AuthPolicy::none || auth.authenticator == nullptr) return attach(aname, uname, n_uname);
    Authenticator& a = *auth.authenticator;
    Waiter<uint32_t, Qid> w;
    client_->async_auth(aname, uname, n_uname, w.handler());
    auto [ec, afid_number, aqid] = w.get();
    if (ec) {
        if (!answered_by_server(ec)) return fail(ec);
        // The server answered that it wants no authentication (diod without auth: ENOENT).
        if (auth.policy == AuthPolicy::required) return fail(errc::auth_not_offered);
        return attach(aname, uname, n_uname);
    }
    Fid afid = adopt(afid_number, aqid);
    auto cred = a.credential();
    if (!cred) return fail(cred.error());
    // The credential is written whole from offset 0, in as many Twrites as it takes.
    const auto* bytes = reinterpret_cast<const std::byte*>(cred->data());
    for (size_t done = 0; done < cred->size();) {
        auto n = write(afid, done, {bytes + done, cred->size() - done});
        if (!n) return fail(n.error());
        if (*n == 0) return fail(errc::short_transfer);
        done += *n;
    }
    Waiter<uint32_t, Qid> wa;
    client_->async_attach(aname, uname, n_uname, afid.number(), wa.handler());
    auto [aec, fid, qid] = wa.get();
    // diod answers EPERM both for a credential it cannot decode (another key, expired,
    // replayed) and for one that carries another uid than n_uname. Other answers (a
    // missing export, ...) are passed on as they are.
    const bool refused = answered_by_server(aec) &&
                         (aec == std::errc::operation_not_permitted || aec == std::errc::permission_denied);
    if (aec) return fail(refused ? make_error_code(errc::auth_refused) : aec);
    return adopt(fid, qid);
}

result<Fid> BlockingClient::walk(const Fid& from, std::string_view path) { return walk(from, split_path(path)); }

result<Fid> BlockingClient::walk(const Fid& from, const std::vector<std::string>& names) {
    Fid current;
    size_t i = 0;
    do {
        const size_t n = std::min<size_t>(names.size() - i, max_walk_elements);
        std::vector<std::string> part(names.begin() + static_cast<ptrdiff_t>(i),
                                      names.begin() + static_cast<ptrdiff_t>(i + n));
        Waiter<uint32_t, std::vector<Qid>> w;
        client_->async_walk(current ? current.number() : from.number(), std::move(part), w.handler());
        auto [ec, fid, qids] = w.get();
        if (ec) return fail(ec);
        current = adopt(fid, qids.empty() ? (current ? current.qid() : from.qid()) : qids.back());
        i += n;
    } while (i < names.size());
    return current;
}

result<Rlopen> BlockingClient::open(const Fid& fid, uint32_t flags) { return call(*client_, Tlopen{fid.number(), flags}); }

result<Rlcreate> BlockingClient::create(Fid& dir, std::string_view name, uint32_t flags, uint32_t mode,
                                        uint32_t gid) {
    if (!is_valid_name(name)) return fail(errc::invalid_name);
    auto r = call(*client_, Tlcreate{dir.number(), std::string(name), flags, mode, gid});
    if (r) dir.qid_ = r->qid;
    return r;
}

result<size_t> BlockingClient::read(const Fid& fid, uint64_t offset, std::span<std::byte> buf) {
    Waiter<size_t> w;
    client_->async_read(fid.number(), offset, buf, w.handler());
    auto [ec, n] = w.get();
    if (ec) return fail(ec);
    return n;
}

result<size_t> BlockingClient::write(const Fid& fid, uint64_t offset, std::span<const std::byte> data) {
    if (data.size() > max_io()) data = data.first(max_io());
    Waiter<size_t> w;
    client_->async_write(fid.number(), offset, {data}, w.handler());
    auto [ec, n] = w.get();
    if (ec) return fail(ec);
    return n;
}

result<Rgetattr> BlockingClient::getattr(const Fid& fid, uint64_t mask) {
    return call(*client_, Tgetattr{fid.number(), mask});
}

std::error_code BlockingClient::setattr(const Fid& fid, Tsetattr attrs) {
    attrs.fid = fid.number();
    return call_ec(*client_, attrs);
}

result<std::vector<Dirent>> BlockingClient::readdir(const Fid& dir) {
    auto clone = walk(dir, std::vector<std::string>{});
    if (!clone) return fail(clone.error());
    if (auto o = open(*clone, open_flags::rdonly | open_flags::directory); !o) return fail(o.error());
    std::vector<Dirent> all;
    uint64_t cookie = 0;
    // A server whose listing never ends (a cookie that does not move, the same batch again,
    // names without end) must not grow memory for ever: a cookie seen before, or more
    // entries than any real directory holds, ends the listing with an error.
    // A batch that brings no name not seen before is the listing going round (the same
    // entries under fresh cookies) and ends it the same way.
    std::unordered_set<uint64_t> cookies{0};
    std::unordered_set<std::string> names;
    size_t name_bytes = 0;
    for (;;) {
        Waiter<std::vector<Dirent>> w;
        client_->async_readdir(clone->number(), cookie, w.handler());
        auto [ec, batch] = w.get();
        if (ec) return fail(ec);
        if (batch.empty()) break;
        cookie = batch.back().offset;
        if (!cookies.insert(cookie).second) return fail(errc::endless_listing);
        bool fresh = false;
        for (auto& d : batch) {
            if (!names.insert(d.name).second) continue;  // listed twice: once is enough
            fresh = true;
            if (d.name == "." || d.name == "..") continue;
            name_bytes += d.name.size();
            if (all.size() >= max_listing_entries || name_bytes > max_listing_name_bytes)
                return fail(errc::endless_listing);
            all.push_back(std::move(d));
        }
        if (!fresh) return fail(errc::endless_listing);
    }
    return all;
}

std::error_code BlockingClient::fsync(const Fid& fid, bool datasync) {
    return call_ec(*client_, Tfsync{fid.number(), datasync ? 1u : 0u});
}

result<Rstatfs> BlockingClient::statfs(const Fid& fid) { return call(*client_, Tstatfs{fid.number()}); }

result<Qid> BlockingClient::mkdir(const Fid& dir, std::string_view name, uint32_t mode, uint32_t gid) {
    if (!is_valid_name(name)) return fail(errc::invalid_name);
    auto r = call(*client_, Tmkdir{dir.number(), std::string(name), mode, gid});
    if (!r) return fail(r.error());
    return r->qid;
}

result<Qid> BlockingClient::symlink(const Fid& dir, std::string_view name, std::string_view target, uint32_t gid) {
    if (!is_valid_name(name)) return fail(errc::invalid_name);
    auto r = call(*client_, Tsymlink{dir.number(), std::string(name), std::string(target), gid});
    if (!r) return fail(r.error());
    return r->qid;
}

result<Qid> BlockingClient::mknod(const Fid& dir, std::string_view name, uint32_t mode, uint32_t major,
                                  uint32_t minor, uint32_t gid) {
    if (!is_valid_name(name)) return fail(errc::invalid_name);
    auto r = call(*client_, Tmknod{dir.number(), std::string(name), mode, major, minor, gid});
    if (!r) return fail(r.error());
    return r->qid;
}

std::error_code BlockingClient::rename(const Fid& fid, const Fid& newdir, std::string_view newname) {
    if (!is_valid_name(newname)) return errc::invalid_name;
    return call_ec(*client_, Trename{fid.number(), newdir.number(), std::string(newname)});
}

std::error_code BlockingClient::renameat(const Fid& olddir, std::string_view oldname, const Fid& newdir,
                                         std::string_view newname) {
    if (!is_valid_name(oldname) || !is_valid_name(newname)) return errc::invalid_name;
    if (!no_renameat_) {
        auto ec = call_ec(*client_,
                          Trenameat{olddir.number(), std::string(oldname), newdir.number(), std::string(newname)});
        if (ec != std::errc::operation_not_supported) return ec;
        no_renameat_ = true;
    }
    auto f = walk(olddir, std::vector<std::string>{std::string(oldname)});
    if (!f) return f.error();
    return rename(*f, newdir, newname);
}

std::error_code BlockingClient::unlinkat(const Fid& dir, std::string_view name, uint32_t flags) {
    if (!is_valid_name(name)) return errc::invalid_name;
    if (!no_unlinkat_) {
        auto ec = call_ec(*client_, Tunlinkat{dir.number(), std::string(name), flags});
        if (ec != std::errc::operation_not_supported) return ec;
        no_unlinkat_ = true;
    }
    auto f = walk(dir, std::vector<std::string>{std::string(name)});
    if (!f) return f.error();
    const bool want_dir = (flags & at_removedir) != 0;
    if (want_dir && !f->qid().is_dir()) return std::make_error_code(std::errc::not_a_directory);
    if (!want_dir && f->qid().is_dir()) return std::make_error_code(std::errc::is_a_directory);
    return remove(*f);
}

std::error_code BlockingClient::link(const Fid& dir, const Fid& target, std::string_view name) {
    if (!is_valid_name(name)) return errc::invalid_name;
    return call_ec(*client_, Tlink{dir.number(), target.number(), std::string(name)});
}

result<std::string> BlockingClient::readlink(const Fid& fid) {
    auto r = call(*client_, Treadlink{fid.number()});
    if (!r) return fail(r.error());
    return std::move(r->target);
}

result<std::vector<std::byte>> BlockingClient::xattr_get(const Fid& fid, std::string_view name) {
    Waiter<uint32_t, uint64_t> w;
    client_->async_xattrwalk(fid.number(), std::string(name), w.handler());
    auto [ec, xfid, size] = w.get();
    if (ec) return fail(ec);
    Fid x = adopt(xfid, {});
    if (size > (64u << 20)) return fail(std::make_error_code(std::errc::file_too_large));
    std::vector<std::byte> value(size);
    size_t got = 0;
    while (got < value.size()) {
        auto n = read(x, got, std::span(value).subspan(got));
        if (!n) return fail(n.error());
        if (*n == 0) break;
        got += *n;
    }
    value.resize(got);
    return value;
}

std::error_code BlockingClient::xattr_set(const Fid& fid, std::string_view name, std::span<const std::byte> value,
                                          uint32_t flags) {
    auto x = walk(fid, std::vector<std::string>{});
    if (!x) return x.error();
    if (auto ec = call_ec(*client_, Txattrcreate{x->number(), std::string(name), value.size(), flags})) return ec;
    size_t done = 0;
    while (done < value.size()) {
        auto n = write(*x, done, value.subspan(done));
        if (!n) return n.error();
        if (*n == 0) return errc::short_transfer;
        done += *n;
    }
    return clunk(*x);  // the clunk commits the attribute: its error is the result
}

result<uint8_t> BlockingClient::lock(const Fid& fid, Tlock request) {
    request.fid = fid.number();
    auto r = call(*client_, std::move(request));
    if (!r) return fail(r.error());
    return r->status;
}

result<Rgetlock> BlockingClient::getlock(const Fid& fid, Tgetlock request) {
    request.fid = fid.number();
    return call(*client_, std::move(request));
}

std::error_code BlockingClient::clunk(Fid& fid) {
    if (!fid) return {};
    Waiter<> w;
    client_->async_clunk(fid.take(), w.handler());
    fid.owner_.reset();
    return std::get<0>(w.get());
}

std::error_code BlockingClient::remove(Fid& fid) {
    if (!fid) return {};
    Waiter<> w;
    client_->async_remove(fid.take(), w.handler());
    fid.owner_.reset();
    return std::get<0>(w.get());
}

namespace {

// The bookkeeping shared by the pipelined transfers: slots of up to max_io bytes, and a
// queue of completions that the I/O thread fills and the calling thread drains.
//
// A transfer gets only the slots and bytes its length needs, uninitialised: a copy of
// many small files would otherwise fault in and zero depth x msize (16 MiB) for each.
struct Pipeline {
    struct Buffer {
        std::unique_ptr<std::byte[]> bytes;
        size_t n = 0;
        std::byte* data() { return bytes.get(); }
        size_t size() const { return n; }
    };
    struct Slot {
        Buffer buf;
        uint64_t pos = 0;    // absolute file position of buf[0]
        size_t len = 0;      // bytes that belong to this slot's request
        size_t done = 0;     // bytes already transferred
    };
    struct Done {
        size_t slot;
        std::error_code ec;
        size_t n;
    };

    Pipeline(unsigned depth, size_t chunk) : slots(std::max(1u, depth)) {
        for (size_t i = slots.size(); i-- > 0;) {
            slots[i].buf.bytes.reset(new std::byte[chunk]);
            slots[i].buf.n = chunk;
            free.push_back(i);
        }
    }
    struct Shape {
        unsigned depth;
        size_t chunk;
    };
    // `depth` requests of up to `max_io` bytes, fewer and smaller when `length` bytes need
    // less; `extra` slots more (a read's request that confirms the end).
    static Shape shape(unsigned depth, size_t max_io, uint64_t length, unsigned extra = 0) {
        const uint64_t io = std::max<uint64_t>(max_io, 1);
        const uint64_t chunk = std::min<uint64_t>(std::max<uint64_t>(length, 4096), io);
        const uint64_t need = std::max<uint64_t>(1, (length + chunk - 1) / chunk) + extra;
        return {static_cast<unsigned>(std::min<uint64_t>(std::max(depth, 1u), need)), static_cast<size_t>(chunk)};
    }
    explicit Pipeline(Shape s) : Pipeline(s.depth, s.chunk) {}
    auto completion(size_t slot) {
        return [this, slot](std::error_code ec, size_t n) {
            std::lock_guard lock(mutex);
            done.push_back({slot, ec, n});
            cv.notify_one();
        };
    }
    Done wait() {
        std::unique_lock lock(mutex);
        cv.wait(lock, [&] { return !done.empty(); });
        Done d = done.front();
        done.pop_front();
        --in_flight;
        return d;
    }

    std::vector<Slot> slots;
    std::vector<size_t> free;
    unsigned in_flight = 0;
    std::mutex mutex;
    std::condition_variable cv;
    std::deque<Done> done;
};

}  // namespace

result<uint64_t> BlockingClient::write_from(const Fid& fid, uint64_t offset, uint64_t length, const Source& source,
                                            unsigned depth) {
    Pipeline pl(Pipeline::shape(depth, max_io(), length));
    std::error_code first_error;
    uint64_t next = 0, written = 0;
    auto submit = [&](size_t i) {
        auto& s = pl.slots[i];
        ++pl.in_flight;
        client_->async_write(fid.number(), s.pos + s.done,
                             {std::span<const std::byte>(s.buf.data() + s.done, s.len - s.done)}, pl.completion(i));
    };
    for (;;) {
        while (!first_error && next < length && !pl.free.empty()) {
            const size_t i = pl.free.back();
            auto& s = pl.slots[i];
            const size_t want = static_cast<size_t>(std::min<uint64_t>(s.buf.size(), length - next));
            auto n = source(offset + next, std::span(s.buf.data(), want));
            if (!n || *n == 0 || *n > want) {
                first_error = !n ? n.error() : std::make_error_code(std::errc::io_error);
                break;
            }
            pl.free.pop_back();
            s.pos = offset + next;
            s.len = *n;
            s.done = 0;
            next += *n;
            submit(i);
        }
        if (pl.in_flight == 0) break;
        auto d = pl.wait();
        auto& s = pl.slots[d.slot];
        if (!d.ec && d.n == 0) d.ec = errc::short_transfer;  // no progress: do not loop forever
        if (d.ec) {
            if (!first_error) first_error = d.ec;
            pl.free.push_back(d.slot);
            continue;
        }
        s.done += d.n;
        written += d.n;
        if (s.done < s.len && !first_error) submit(d.slot);  // a short write: send the rest
        else pl.free.push_back(d.slot);
    }
    if (first_error) return fail(first_error);
    return written;
}

result<uint64_t> BlockingClient::read_into(const Fid& fid, uint64_t offset, const Sink& sink, unsigned depth,
                                           std::optional<uint64_t> size_hint) {
    // With a size, one byte more: the read that reaches the end then also sees it, and one
    // slot more for the empty read that confirms it.
    Pipeline pl(size_hint ? Pipeline::shape(depth, max_io(), *size_hint + 1, 1) : Pipeline::Shape{depth, max_io()});
    std::error_code first_error;
    std::optional<uint64_t> eof;  // lowest absolute position where an empty read was seen
    uint64_t next = offset;
    // Where the hinted data ends; reads go ahead in parallel up to it (no hint: without limit).
    const uint64_t hint_end = size_hint ? offset + *size_hint : UINT64_MAX;
    auto submit = [&](size_t i) {
        auto& s = pl.slots[i];
        ++pl.in_flight;
        client_->async_read(fid.number(), s.pos + s.done, std::span(s.buf.data() + s.done, s.len - s.done),
                            pl.completion(i));
    };
    for (;;) {
        // Past the hinted size, read one request at a time until the empty read.
        while (!first_error && !eof && !pl.free.empty() && (next <= hint_end || pl.in_flight == 0)) {
            const size_t i = pl.free.back();
            pl.free.pop_back();
            auto& s = pl.slots[i];
            s.pos = next;
            s.len = s.buf.size();
            s.done = 0;
            next += s.len;
            submit(i);
        }
        if (pl.in_flight == 0) break;
        auto d = pl.wait();
        auto& s = pl.slots[d.slot];
        if (d.ec) {
            if (!first_error) first_error = d.ec;
            pl.free.push_back(d.slot);
            continue;
        }
        const uint64_t at = s.pos + s.done;
        if (d.n == 0) {
            if (!eof || at < *eof) eof = at;
            pl.free.push_back(d.slot);
            continue;
        }
        if (eof && at >= *eof) {  // the file grew behind a confirmed end: keep the first view
            pl.free.push_back(d.slot);
            continue;
        }
        if (auto ec = sink(at, std::span<const std::byte>(s.buf.data() + s.done, d.n))) {
            if (!first_error) first_error = ec;
            pl.free.push_back(d.slot);
            continue;
        }
        s.done += d.n;
        if (s.done < s.len && !first_error) submit(d.slot);  // short read: EOF or a partial answer
        else pl.free.push_back(d.slot);
    }
    if (first_error) return fail(first_error);
    return (eof ? *eof : next) - offset;
}

}  // namespace p9
