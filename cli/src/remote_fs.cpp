#include "remote_fs.hpp"

#include <pwd.h>
#include <unistd.h>

#include <chrono>
#include <thread>
#include <vector>

#include "exit_codes.hpp"
#include "transfer.hpp"

namespace netcp {

namespace {

// The password database entry of `uid` or `name`, with the reentrant calls: workers of
// --transfers open their connections at the same time.
struct PasswdEntry {
    passwd pw{};
    std::vector<char> buf = std::vector<char>(16384);
    bool found = false;
};

PasswdEntry passwd_of_uid(uid_t uid) {
    PasswdEntry e;
    passwd* out = nullptr;
    e.found = ::getpwuid_r(uid, &e.pw, e.buf.data(), e.buf.size(), &out) == 0 && out;
    return e;
}

PasswdEntry passwd_of_name(const std::string& name) {
    PasswdEntry e;
    passwd* out = nullptr;
    e.found = ::getpwnam_r(name.c_str(), &e.pw, e.buf.data(), e.buf.size(), &out) == 0 && out;
    return e;
}

std::string current_user_name() {
    const auto e = passwd_of_uid(::getuid());
    return e.found ? e.pw.pw_name : "";
}

// The group new files get: the primary group of the user attached as, when that is not
// the user running netcp (--uid, a name in the URL) and this host knows them. Servers
// check it (nfs-ganesha refuses a create with a group the user is not in: EPERM).
uint32_t group_for(const std::optional<uint32_t>& uid, const std::string& named) {
    if (uid && *uid != ::getuid()) {
        if (const auto e = passwd_of_uid(*uid); e.found) return e.pw.pw_gid;
    } else if (!uid && !named.empty()) {
        if (const auto e = passwd_of_name(named); e.found) return e.pw.pw_gid;
    }
    return ::getgid();
}

// Reconnections a metadata call (stat, list, mkdir...) may make when the connection drops
// under it, after 100, 200, 400 ms, as for a file's data.
constexpr unsigned metadata_reconnects = 3;

std::error_code error_of(const std::error_code& ec) { return ec; }
template <class T>
std::error_code error_of(const tl::expected<T, std::error_code>& r) { return r ? std::error_code{} : r.error(); }


}  // namespace

// Runs `op`; while it fails because the connection was lost (and not because of a
// timeout or a signal), connects again and runs it again. Every call retried this way is
// safe to repeat: lookups, listings, attribute changes, mkdir (EEXIST on a retry is taken
// as done by the caller's own rules).
template <class Op>
auto RemoteFs::reconnecting(Op&& op) -> decltype(op()) {
    auto r = op();
    for (unsigned attempt = 0; attempt < metadata_reconnects; ++attempt) {
        const std::error_code ec = error_of(r);
        if (!ec || !connection_lost(ec, connected())) break;
        if (interrupted()) break;
        std::this_thread::sleep_for(std::chrono::milliseconds(100u << attempt));
        if (reconnect()) continue;
        r = op();
    }
    return r;
}

tl::expected<std::unique_ptr<RemoteFs>, Failure> RemoteFs::open(const Options& options, const Location& loc) {
    if (options.auth == Options::Auth::krb5)
        return tl::unexpected(Failure{exit_usage, "--auth krb5 is for AFS cells; 9P servers authenticate with MUNGE "
                                                  "(--auth munge, or auto)"});
    p9::Endpoint ep = options.unix_socket.empty() ? p9::Endpoint::tcp(loc.host, loc.port)
                                                  : p9::Endpoint::unix_socket(options.unix_socket);
    if (!ep.is_unix() && ep.host.empty())
        return tl::unexpected(Failure{exit_usage, "no server in '" + loc.text +
                                                      "': write 9p://HOST/PATH, or give --unix-socket"});
    p9::ClientOptions co;
    co.max_msize = options.msize;
    co.request_timeout = options.timeout;
    co.connect_timeout = options.connect_timeout;
    co.max_in_flight = std::max<size_t>(64, options.depth * 2);
    const std::string uname = !options.uname.empty() ? options.uname
                              : !loc.uname.empty()   ? loc.uname
                                                     : current_user_name();
    // A user named (--uname, 9p://USER@HOST) without --uid is looked up by name on the
    // server: n_uname is left unset, which servers read as "use uname". Sending our own
    // uid with it would attach as us, whatever the name says.
    const bool named = !options.uname.empty() || !loc.uname.empty();
    const uint32_t uid = options.uid.value_or(named ? p9::nonuname : ::getuid());
    std::unique_ptr<RemoteFs> fs(new RemoteFs(options, loc, ep, co, uname, uid));
    fs->gid_ = group_for(options.uid, named ? uname : std::string());
    auto connection = fs->attach_new();
    if (!connection) {
        const auto& e = connection.error();
        if (e.connected) return tl::unexpected(fs->attach_failure(e.ec));
        auto f = failure("cannot connect to " + fs->endpoint_text_, e.ec);
        if (f.exit_code == exit_error || f.exit_code == exit_not_found) f.exit_code = exit_connection;
        return tl::unexpected(f);
    }
    fs->client_ = std::move(connection->client);
    fs->root_ = std::move(connection->root);
    return fs;
}

RemoteFs::RemoteFs(const Options& options, Location where, p9::Endpoint ep, p9::ClientOptions client_options,
                   std::string uname, uint32_t uid)
    : options_(options), where_(std::move(where)), endpoint_text_(ep.to_string()), ep_(std::move(ep)),
      client_options_(client_options), uname_(std::move(uname)), uid_(uid) {
    if (options.auth != Options::Auth::none) {
        munge_ = std::make_unique<p9::MungeAuthenticator>(options.munge_socket);
        auth_ = {options.auth == Options::Auth::munge ? p9::AuthPolicy::required : p9::AuthPolicy::automatic,
                 munge_.get()};
    }
}

tl::expected<RemoteFs::Connection, RemoteFs::ConnectError> RemoteFs::attach_new() const {
    auto client = p9::BlockingClient::connect(ep_, client_options_);
    if (!client) return tl::unexpected(ConnectError{client.error(), false});
    auto root = (*client)->attach(options_.aname, uname_, uid_, auth_);
    if (!root) return tl::unexpected(ConnectError{root.error(), true});
    return Connection{std::move(*client), std::move(*root)};
}

Failure RemoteFs::attach_failure(std::error_code ec) const {
    const std::string where = endpoint_text_;
    const std::string as = uid_ == p9::nonuname ? "user '" + uname_ + "'" : "uid " + std::to_string(uid_);
    if (ec.category() == p9::munge_category()) {
        std::string m = where + " asks for MUNGE authentication, but no credential could be had from munged at " +
                        munge_->socket() + ": " + ec.message();
        if (!munge_->last_error_detail().empty()) m += " (" + munge_->last_error_detail() + ")";
        m += "; start munged, or give its socket with --munge-socket";
        return {exit_connection, m};
    }
    if (ec == p9::errc::auth_refused) {
        std::string m = "authentication failed: " + where + " refused the MUNGE credential of uid " +
                        std::to_string(munge_->uid()) + " (from munged at " + munge_->socket() + ")";
        if (munge_->uid() != uid_)
            m += " to attach as " + as + ": a credential proves only the uid that runs netcp; run netcp as that "
                 "user instead of naming it";
        else
            m += " or the export '" + options_.aname + "' (the server does not say which): its munged must "
                 "share this munged's key, and the export must exist";
        return {exit_connection, m};
    }
    if (ec == p9::errc::auth_not_offered)
        return {exit_connection, "--auth munge: " + where + " does not ask for authentication (it refused Tauth); "
                                 "use --auth auto or none with this server"};
    Failure f{exit_connection, "cannot attach to export '" + options_.aname + "' on " + where + " as " + as + ": " +
                                   ec.message()};
    if (options_.aname.empty()) f.message += " (choose the export with --aname or NETCP_ANAME)";
    if (options_.auth == Options::Auth::none && ec == std::errc::operation_not_permitted)
        f.message += " (the server may require authentication: drop --auth none)";
    return f;
}

RemoteFs::~RemoteFs() {
    // Fids first: they clunk through their own client, which must still be there.
    cached_dir_ = p9::Fid{};
    root_ = p9::Fid{};
    retired_.clear();
}

std::error_code RemoteFs::reconnect() {
    auto connection = attach_new();
    if (!connection) return connection.error().ec;
    // The cached directory fid belongs to the old connection: forget it. Dropping fids of
    // a closed client only releases their numbers; nothing is sent.
    cached_dir_ = p9::Fid{};
    cached_dir_path_.clear();
    root_ = std::move(connection->root);
    // Whatever still holds the old client fails at once instead of waiting on it.
    client_->async().close();
    prefetch_.clear();  // its answers (and its directory fid) are the old connection's
    retired_.push_back(std::move(client_));
    client_ = std::move(connection->client);
    ++reconnections_;
    return {};
}

std::error_code RemoteFs::restore_connection() {
    std::error_code ec;
    for (unsigned attempt = 0; attempt < metadata_reconnects && !connected(); ++attempt) {
        if (interrupted()) break;
        std::this_thread::sleep_for(std::chrono::milliseconds(100u << attempt));
        ec = reconnect();
    }
    return connected() ? std::error_code{} : ec ? ec : make_error_code(p9::errc::not_connected);
}

std::string RemoteFs::url(const std::string& path) const {
    Location l = where_;
    l.path = path;
    return describe(l);
}

p9::result<p9::Fid> RemoteFs::walk(const std::string& path) { return client_->walk(root_, path); }

p9::result<std::optional<p9::Rgetattr>> RemoteFs::getattr(const std::string& path) {
    auto f = walk(path);
    if (!f) {
        if (f.error() == std::errc::no_such_file_or_directory) return std::optional<p9::Rgetattr>{};
        return p9::fail(f.error());
    }
    auto a = client_->getattr(*f, p9::getattr::basic);
    if (!a) return p9::fail(a.error());
    return std::optional<p9::Rgetattr>(std::move(*a));
}

p9::result<const p9::Fid*> RemoteFs::directory(const std::string& path) {
    if (cached_dir_ && cached_dir_path_ == path) return &cached_dir_;
    auto f = walk(path);
    if (!f) return p9::fail(f.error());
    if (!f->qid().is_dir()) return p9::fail(std::make_error_code(std::errc::not_a_directory));
    cached_dir_ = std::move(*f);
    cached_dir_path_ = path;
    return &cached_dir_;
}

std::error_code RemoteFs::mkdir(const std::string& path, uint32_t mode) {
    auto [parent, name] = split_parent(path);
    bool retried = false;
    auto ec = reconnecting([&]() -> std::error_code {
        auto dir = directory(parent);
        if (!dir) return dir.error();
        auto q = client_->mkdir(**dir, name, mode, gid_);
        if (q) return {};
        // Made by the first attempt, whose answer the dropped connection lost.
        if (retried && q.error() == std::errc::file_exists) return {};
        retried = true;
        return q.error();
    });
    return ec;
}

void RemoteFs::expect_stats(const std::string& dir, const std::vector<std::string>& names) {
    if (names.size() < 2) return;  // nothing to overlap
    auto f = walk(dir);
    if (!f) return;  // the copy's own stats say what is wrong
    prefetch_.start(client_->client(), std::move(*f), dir, names);
}

tl::expected<std::optional<RemoteAttr>, std::error_code> RemoteFs::stat(const std::string& path) {
    auto a = [&]() -> p9::result<std::optional<p9::Rgetattr>> {
        if (auto ahead = prefetch_.take(path)) return std::move(*ahead);
        return reconnecting([&] { return getattr(path); });
    }();
    if (!a) return tl::unexpected(a.error());
    if (!*a) return std::optional<RemoteAttr>{};
    const p9::Rgetattr& g = **a;
    RemoteAttr r;
    r.mode = g.mode;
    r.size = g.size;
    r.mtime_sec = g.mtime_sec;
    r.mtime_nsec = g.mtime_nsec;
    r.atime_sec = g.atime_sec;
    r.atime_nsec = g.atime_nsec;
    r.native = g;
    return std::optional<RemoteAttr>(std::move(r));
}

tl::expected<std::vector<std::string>, std::error_code> RemoteFs::list(const std::string& path) {
    return reconnecting([&]() -> tl::expected<std::vector<std::string>, std::error_code> {
        auto f = walk(path);
        if (!f) return tl::unexpected(f.error());
        auto ents = client_->readdir(*f);
        if (!ents) return tl::unexpected(ents.error());
        std::vector<std::string> names;
        for (auto& e : *ents) names.push_back(std::move(e.name));
        return names;
    });
}

std::error_code RemoteFs::set_dir_attrs(const std::string& path, uint32_t mode, std::optional<struct timespec> mtime) {
    return reconnecting([&] { return set_dir_attrs_once(path, mode, mtime); });
}

std::error_code RemoteFs::set_dir_attrs_once(const std::string& path, uint32_t mode,
                                             std::optional<struct timespec> mtime) {
    auto f = walk(path);
    if (!f) return f.error();
    p9::Tsetattr a;
    a.valid = p9::setattr::mode;
    a.mode = mode;
    if (mtime) {
        a.valid |= p9::setattr::mtime | p9::setattr::mtime_set;
        a.mtime_sec = static_cast<uint64_t>(mtime->tv_sec);
        a.mtime_nsec = static_cast<uint64_t>(mtime->tv_nsec);
    }
    return client_->setattr(*f, a);
}

tl::expected<std::string, std::error_code> RemoteFs::readlink(const std::string& path) {
    return reconnecting([&]() -> tl::expected<std::string, std::error_code> {
        auto f = walk(path);
        if (!f) return tl::unexpected(f.error());
        auto target = client_->readlink(*f);
        if (!target) return tl::unexpected(target.error());
        return std::move(*target);
    });
}

std::error_code RemoteFs::symlink(const std::string& path, const std::string& target) {
    auto [parent, name] = split_parent(path);
    auto dir = directory(parent);
    if (!dir) return dir.error();
    auto q = client_->symlink(**dir, name, target, gid_);
    return q ? std::error_code{} : q.error();
}

std::error_code RemoteFs::mkfifo(const std::string& path, uint32_t mode) {
    auto [parent, name] = split_parent(path);
    auto dir = directory(parent);
    if (!dir) return dir.error();
    auto q = client_->mknod(**dir, name, S_IFIFO | mode, 0, 0, gid_);
    return q ? std::error_code{} : q.error();
}

tl::expected<uint64_t, Failure> RemoteFs::upload(Engine& engine, const std::string& local, const struct stat& st,
                                                 const std::string& remote_path, int source_fd) {
    return upload_file(*this, engine, options_, local, st, remote_path, source_fd);
}

tl::expected<uint64_t, Failure> RemoteFs::download(Engine& engine, const std::string& remote_path,
                                                   const RemoteAttr& attr, const LocalTarget& local) {
    return download_file(*this, engine, options_, remote_path, std::any_cast<const p9::Rgetattr&>(attr.native), local);
}

std::error_code RemoteFs::unlink(const std::string& path) {
    auto [parent, name] = split_parent(path);
    auto dir = directory(parent);
    if (!dir) return dir.error();
    auto ec = client_->unlinkat(**dir, name, 0);
    return ec == std::errc::no_such_file_or_directory ? std::error_code{} : ec;
}

}  // namespace netcp
