#include "remote_fs.hpp"

#include <pwd.h>
#include <unistd.h>

#include "exit_codes.hpp"

namespace netcp {

std::pair<std::string, std::string> split_parent(const std::string& path) {
    auto slash = path.rfind('/');
    if (slash == std::string::npos) return {"", path};
    return {path.substr(0, slash), path.substr(slash + 1)};
}

namespace {

std::string current_user_name() {
    if (const passwd* pw = ::getpwuid(::getuid())) return pw->pw_name;
    return "";
}

}  // namespace

tl::expected<std::unique_ptr<RemoteFs>, Failure> RemoteFs::open(const Options& options, const Location& loc) {
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
    const std::string where = ep.to_string();
    auto client = p9::BlockingClient::connect(ep, co);
    if (!client) {
        auto f = failure("cannot connect to " + where, client.error());
        if (f.exit_code == exit_error || f.exit_code == exit_not_found) f.exit_code = exit_connection;
        return tl::unexpected(f);
    }
    const std::string uname = !options.uname.empty() ? options.uname
                              : !loc.uname.empty()   ? loc.uname
                                                     : current_user_name();
    const uint32_t uid = options.uid.value_or(::getuid());
    auto root = (*client)->attach(options.aname, uname, uid);
    if (!root) {
        Failure f{exit_connection, "cannot attach to export '" + options.aname + "' on " + where + " as uid " +
                                       std::to_string(uid) + ": " + root.error().message()};
        if (options.aname.empty()) f.message += " (choose the export with --aname or NETCP_ANAME)";
        return tl::unexpected(f);
    }
    return std::unique_ptr<RemoteFs>(new RemoteFs(std::move(*client), std::move(*root), loc, where));
}

RemoteFs::RemoteFs(std::unique_ptr<p9::BlockingClient> client, p9::Fid root, Location where, std::string endpoint)
    : client_(std::move(client)), root_(std::move(root)), where_(std::move(where)),
      endpoint_text_(std::move(endpoint)) {}

std::string RemoteFs::url(const std::string& path) const {
    Location l = where_;
    l.path = path;
    return describe(l);
}

p9::result<p9::Fid> RemoteFs::walk(const std::string& path) { return client_->walk(root_, path); }

p9::result<std::optional<p9::Rgetattr>> RemoteFs::stat(const std::string& path) {
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
    auto dir = directory(parent);
    if (!dir) return dir.error();
    auto q = client_->mkdir(**dir, name, mode, ::getgid());
    return q ? std::error_code{} : q.error();
}

p9::result<std::vector<p9::Dirent>> RemoteFs::list(const std::string& path) {
    auto f = walk(path);
    if (!f) return p9::fail(f.error());
    return client_->readdir(*f);
}

std::error_code RemoteFs::unlink(const std::string& path) {
    auto [parent, name] = split_parent(path);
    auto dir = directory(parent);
    if (!dir) return dir.error();
    auto ec = client_->unlinkat(**dir, name, 0);
    return ec == std::errc::no_such_file_or_directory ? std::error_code{} : ec;
}

}  // namespace netcp
