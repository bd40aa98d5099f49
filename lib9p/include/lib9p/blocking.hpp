// A blocking 9P2000.L client for simple programs and tools, on top of Client.
//
// BlockingClient runs its own I/O thread; every call blocks the calling thread until
// the reply (never call it from a completion handler of the same client). Fids are
// RAII: a Fid clunks itself when dropped, unless it was clunked or removed explicitly.
// Bulk transfers (write_from / read_into) keep `depth` requests in flight.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "lib9p/auth.hpp"
#include "lib9p/client.hpp"
#include "lib9p/constants.hpp"
#include "lib9p/endpoint.hpp"
#include "lib9p/error.hpp"
#include "lib9p/message.hpp"

namespace p9 {

class BlockingClient;

// An owned fid. Moving transfers ownership; destruction clunks in the background.
class Fid {
public:
    Fid() = default;
    Fid(Fid&& o) noexcept { *this = std::move(o); }
    Fid& operator=(Fid&& o) noexcept;
    Fid(const Fid&) = delete;
    Fid& operator=(const Fid&) = delete;
    ~Fid() { reset(); }

    uint32_t number() const { return fid_; }
    const Qid& qid() const { return qid_; }
    explicit operator bool() const { return fid_ != nofid; }
    // Clunks now (in the background) and forgets the fid.
    void reset();

private:
    friend class BlockingClient;
    struct Owner;
    Fid(std::shared_ptr<Owner> owner, uint32_t fid, Qid qid) : owner_(std::move(owner)), fid_(fid), qid_(qid) {}
    uint32_t take() { return std::exchange(fid_, nofid); }

    std::shared_ptr<Owner> owner_;
    uint32_t fid_ = nofid;
    Qid qid_;
};

class BlockingClient {
public:
    // Connects, negotiates the version and msize. Nothing is attached yet.
    static result<std::unique_ptr<BlockingClient>> connect(const Endpoint& endpoint, ClientOptions options = {});
    ~BlockingClient();
    BlockingClient(const BlockingClient&) = delete;
    BlockingClient& operator=(const BlockingClient&) = delete;

    Client& async() { return *client_; }
    std::shared_ptr<Client> client() const { return client_; }
    uint32_t msize() const { return client_->msize(); }
    uint32_t max_io() const { return client_->max_io(); }

    result<Fid> attach(const std::string& aname, const std::string& uname, uint32_t n_uname);
    // Attaches as above, authenticating first as `auth` says (lib9p/auth.hpp): Tauth, the
    // authenticator's credential written to the auth fid, Tattach naming it, the auth fid
    // clunked. A credential proves one uid (Authenticator::uid()): servers refuse it for
    // another n_uname. (diod lets a connection authenticated as root attach as anyone
    // without an auth fid, but then skips permission checks, trusting the client to make
    // them as the kernel does; this client does not, so it never attaches that way.)
    // errc::auth_refused when the server refuses the credential, errc::auth_not_offered
    // when auth is required and the server refuses Tauth; the authenticator's own error
    // when it has no credential to give.
    result<Fid> attach(const std::string& aname, const std::string& uname, uint32_t n_uname,
                       const AttachAuth& auth);
    // Walks a relative path ("a/b/c"; empty components and "." are skipped, ".." is sent
    // as is) to a new fid, 16 names per Twalk. An empty path clones `from`.
    result<Fid> walk(const Fid& from, std::string_view path);
    result<Fid> walk(const Fid& from, const std::vector<std::string>& names);

    result<Rlopen> open(const Fid& fid, uint32_t flags);
    // Creates `name` in directory `dir` and opens it; `dir` then refers to the new file.
    result<Rlcreate> create(Fid& dir, std::string_view name, uint32_t flags, uint32_t mode, uint32_t gid);
    result<size_t> read(const Fid& fid, uint64_t offset, std::span<std::byte> buf);
    result<size_t> write(const Fid& fid, uint64_t offset, std::span<const std::byte> data);
    result<Rgetattr> getattr(const Fid& fid, uint64_t mask = getattr::all);
    std::error_code setattr(const Fid& fid, Tsetattr attrs);  // attrs.fid is filled in
    // Every entry of directory `dir`, "." and ".." left out. Names are as the server sent
    // them: a caller that builds local paths from them must check each (is_valid_name).
    // errc::endless_listing if a cookie repeats or the listing passes the limits below.
    result<std::vector<Dirent>> readdir(const Fid& dir);
    static constexpr size_t max_listing_entries = 2'000'000;
    static constexpr size_t max_listing_name_bytes = size_t{256} << 20;
    std::error_code fsync(const Fid& fid, bool datasync = false);
    result<Rstatfs> statfs(const Fid& fid);
    result<Qid> mkdir(const Fid& dir, std::string_view name, uint32_t mode, uint32_t gid);
    result<Qid> symlink(const Fid& dir, std::string_view name, std::string_view target, uint32_t gid);
    result<Qid> mknod(const Fid& dir, std::string_view name, uint32_t mode, uint32_t major, uint32_t minor,
                      uint32_t gid);
    // Trename. Do not rename a fid that is open: diod 1.0.24 aborts on an assertion
    // (ioctx.c:380) and drops every connection. Clunk it first, or use renameat.
    std::error_code rename(const Fid& fid, const Fid& newdir, std::string_view newname);
    // Trenameat / Tunlinkat. Servers without them (diod answers EOPNOTSUPP) fall back to
    // Trename / Tremove by walking to the name; the fallback is remembered.
    std::error_code renameat(const Fid& olddir, std::string_view oldname, const Fid& newdir,
                             std::string_view newname);
    std::error_code unlinkat(const Fid& dir, std::string_view name, uint32_t flags);
    std::error_code link(const Fid& dir, const Fid& target, std::string_view name);
    result<std::string> readlink(const Fid& fid);
    // The value of xattr `name`, or for an empty name the NUL-separated list of names.
    result<std::vector<std::byte>> xattr_get(const Fid& fid, std::string_view name);
    std::error_code xattr_set(const Fid& fid, std::string_view name, std::span<const std::byte> value,
                              uint32_t flags);
    result<uint8_t> lock(const Fid& fid, Tlock request);           // request.fid is filled in
    result<Rgetlock> getlock(const Fid& fid, Tgetlock request);    // request.fid is filled in
    std::error_code clunk(Fid& fid);
    std::error_code remove(Fid& fid);  // the fid is gone afterwards even if the remove failed

    // Writes `length` bytes produced by `source` at `offset`, keeping `depth` Twrites in
    // flight. `source(pos, buf)` fills buf with the bytes for file position pos and
    // returns how many it wrote (0 before `length` is an error). Short Rwrites are resent.
    using Source = std::function<result<size_t>(uint64_t pos, std::span<std::byte> buf)>;
    result<uint64_t> write_from(const Fid& fid, uint64_t offset, uint64_t length, const Source& source,
                                unsigned depth);
    // Reads from `offset` to the end of file, keeping `depth` Treads in flight, handing
    // each piece to `sink(pos, data)` (in any order). `size_hint` (e.g. from getattr) lets
    // it issue reads ahead; EOF is always confirmed by an empty read. Returns the bytes read.
    using Sink = std::function<std::error_code(uint64_t pos, std::span<const std::byte> data)>;
    result<uint64_t> read_into(const Fid& fid, uint64_t offset, const Sink& sink, unsigned depth,
                               std::optional<uint64_t> size_hint = std::nullopt);

private:
    explicit BlockingClient(std::shared_ptr<Fid::Owner> owner);
    Fid adopt(uint32_t fid, Qid qid) { return Fid(owner_, fid, qid); }

    std::shared_ptr<Fid::Owner> owner_;
    std::shared_ptr<Client> client_;
    bool no_renameat_ = false;
    bool no_unlinkat_ = false;
};

}  // namespace p9
