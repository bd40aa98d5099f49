// Names: volume lookups, directories (fetched, parsed, cached by data version) and path
// resolution through the Client's own operations.
#include "client_impl.hpp"
#include "libafs/wire/fs.hpp"
#include "libafs/wire/path.hpp"

namespace afs::client {

namespace fs = wire::fs;

// ---- volumes ---------------------------------------------------------------------------

void Client::Impl::lookup_volume(const std::string& cell_name, const std::string& volume,
                                 std::function<void(std::error_code, std::shared_ptr<const LocatedVolume>, Outcome)> done) {
    auto cell_state = cell(cell_name);
    if (!cell_state) {
        Outcome o;
        o.operation = "volume lookup";
        o.target = "volume " + volume + " in cell " + cell_name;
        return done(make_error_code(errc::no_such_cell), nullptr, std::move(o));
    }
    // "root.cell.readonly": look up "root.cell", then insist on its RO volume.
    const auto split = wire::split_volume_name(volume);
    cell_state->locator->locate(split.base, [split, volume, cell_name, done = std::move(done)](
                                                std::error_code ec, std::shared_ptr<const LocatedVolume> v, Outcome o) {
        if (!ec && split.type && !v->location.exists(*split.type)) {
            o.target = "volume " + volume + " in cell " + cell_name;
            return done(make_error_code(errc::no_such_volume), nullptr, std::move(o));
        }
        done(ec, std::move(v), std::move(o));
    });
}

void Client::start_lookup_volume(std::string cell, std::string volume, Completion<VolumeReply> done) {
    impl_->lookup_volume(cell, volume, [done = std::move(done)](std::error_code ec,
                                                                std::shared_ptr<const LocatedVolume> v, Outcome o) {
        auto r = reply_with<VolumeReply>(std::move(o));
        if (!ec) r.volume = *v;
        done(ec, std::move(r));
    });
}

// ---- directories ---------------------------------------------------------------------

void Client::Impl::read_directory(Identity who, FileRef dir, const wire::AFSFetchStatus& status, Outcome outcome,
                                  Completion<DirectoryReply> done) {
    auto cell_state = cell(dir.cell);
    if (!cell_state) return done(make_error_code(errc::no_such_cell), reply_with<DirectoryReply>(std::move(outcome)));
    if (!status.is_directory())
        return done(make_error_code(std::errc::not_a_directory), reply_with<DirectoryReply>(std::move(outcome)));
    {
        std::lock_guard lock(mutex);
        if (auto d = cell_state->directories.find(dir.fid, status.data_version())) {
            ++directory_hits;
            return done({}, DirectoryReply{std::move(outcome), std::move(d), status});
        }
    }
    ++directory_misses;
    const uint64_t length = status.length();
    if (length > wire::dir::max_pages * wire::dir::page_size)
        return done(make_error_code(errc::too_large), reply_with<DirectoryReply>(std::move(outcome)));
    auto contents = std::make_shared<std::vector<std::byte>>(static_cast<size_t>(length));
    std::vector<std::span<std::byte>> buffers{std::span<std::byte>(*contents)};
    auto self = shared_from_this();
    fetch_data(std::move(who), dir, 0, std::move(buffers), std::move(outcome),
               [self, contents, cell_state, dir, done = std::move(done)](std::error_code ec, FetchReply r) {
                   auto out = reply_with<DirectoryReply>(std::move(r.outcome));
                   if (ec) return done(ec, std::move(out));
                   contents->resize(static_cast<size_t>(r.bytes));
                   auto parsed = wire::dir::Directory::parse(std::move(*contents));
                   if (!parsed) return done(parsed.error(), std::move(out));
                   auto d = std::make_shared<const wire::dir::Directory>(std::move(*parsed));
                   {
                       // The contents are those of the version the same reply reports.
                       std::lock_guard lock(self->mutex);
                       cell_state->directories.insert(dir.fid, r.status.data_version(), d);
                   }
                   out.directory = std::move(d);
                   out.status = r.status;
                   done({}, std::move(out));
               });
}

void Client::start_read_directory(Identity who, FileRef dir, Completion<DirectoryReply> done) {
    auto impl = impl_;
    auto outcome = make_outcome(fs::FetchStatus::name, dir.to_string(), who);
    impl->fetch_status(who, dir, std::move(outcome),
                       [impl, who, dir, done = std::move(done)](std::error_code ec, StatusReply st) mutable {
                           if (ec) return done(ec, reply_with<DirectoryReply>(std::move(st.outcome)));
                           impl->read_directory(std::move(who), std::move(dir), st.status,
                                                make_outcome(fs::FetchData64::name, dir.to_string(), who),
                                                std::move(done));
                       });
}

// ---- path resolution -------------------------------------------------------------------

namespace {

// The resolver's view of the client: every call speaks as one identity, and the Outcome
// of the last failing call is kept for the message.
class ClientBackend : public ResolverBackend {
public:
    ClientBackend(std::shared_ptr<Client::Impl> impl, Identity who) : impl_(std::move(impl)), who_(std::move(who)) {}

    void mount_target(const std::string& cell, const wire::MountPoint& mount, wire::VolumeType parent_type,
                      Callback<VolumeRoot> done) override {
        const auto split = wire::split_volume_name(mount.volume);
        impl_->lookup_volume(cell, split.base, [this, cell, mount, parent_type, done = std::move(done)](
                                                   std::error_code ec, std::shared_ptr<const LocatedVolume> v, Outcome o) {
            if (ec) {
                // The volume the mount point names: what a user must look for when it is
                // gone (a dangling mount point) or unreachable.
                if (o.volume.empty()) o.volume = mount.volume + " (named by a mount point)";
                remember(o);
                return done(ec, {});
            }
            const auto type = wire::mount_target_type(mount, parent_type, v->location.exists(wire::VolumeType::ro));
            if (!v->location.exists(type)) {
                o.target = "volume " + mount.volume + " in cell " + cell;
                remember(o);
                return done(make_error_code(errc::no_such_volume), {});
            }
            done({}, VolumeRoot{FileRef{cell, wire::AFSFid::root_of(v->location.id(type))}, type});
        });
    }

    void fetch_status(const FileRef& file, Callback<wire::AFSFetchStatus> done) override {
        impl_->fetch_status(who_, file, make_outcome(fs::FetchStatus::name, file.to_string(), who_),
                            [this, done = std::move(done)](std::error_code ec, StatusReply r) {
                                if (ec) remember(r.outcome);
                                done(ec, r.status);
                            });
    }

    void read_directory(const FileRef& dir, const wire::AFSFetchStatus& status,
                        Callback<std::shared_ptr<const wire::dir::Directory>> done) override {
        impl_->read_directory(who_, dir, status, make_outcome(fs::FetchData64::name, dir.to_string(), who_),
                              [this, done = std::move(done)](std::error_code ec, DirectoryReply r) {
                                  if (ec) remember(r.outcome);
                                  done(ec, std::move(r.directory));
                              });
    }

    void read_link(const FileRef& link, const wire::AFSFetchStatus& status, Callback<std::string> done) override {
        const size_t size = static_cast<size_t>(std::min<uint64_t>(status.length(), wire::afs_path_max));
        auto text = std::make_shared<std::string>(size, '\0');
        std::vector<std::span<std::byte>> buffers{std::as_writable_bytes(std::span(text->data(), text->size()))};
        impl_->fetch_data(who_, link, 0, std::move(buffers), make_outcome(fs::FetchData64::name, link.to_string(), who_),
                          [this, text, done = std::move(done)](std::error_code ec, FetchReply r) {
                              if (ec) {
                                  remember(r.outcome);
                                  return done(ec, {});
                              }
                              text->resize(static_cast<size_t>(r.bytes));
                              done({}, std::move(*text));
                          });
    }

    Outcome last_failure() const {
        std::lock_guard lock(mutex_);
        return last_;
    }

private:
    void remember(const Outcome& o) {
        std::lock_guard lock(mutex_);
        last_ = o;
    }

    std::shared_ptr<Client::Impl> impl_;
    Identity who_;
    mutable std::mutex mutex_;
    Outcome last_;
};

}  // namespace

void Client::start_resolve(Identity who, std::string path, ResolveOptions options, Completion<ResolveReply> done) {
    Outcome outcome = make_outcome("resolve", path, who);
    auto parsed = wire::parse_afs_path(path);
    if (!parsed) return done(make_error_code(std::errc::invalid_argument), reply_with<ResolveReply>(std::move(outcome)));
    if (!impl_->cell(parsed->cell)) {
        outcome.target = path + " (cell " + parsed->cell + " is not configured)";
        return done(make_error_code(errc::no_such_cell), reply_with<ResolveReply>(std::move(outcome)));
    }
    auto backend = std::make_shared<ClientBackend>(impl_, who);
    resolve_path(backend, std::move(*parsed), options,
                 [backend, outcome, done = std::move(done)](std::error_code ec, Node node) mutable {
                     if (ec) {
                         // Name the path as far as it resolved and the name that failed, and
                         // the call (server, volume) that failed, if one did.
                         const Outcome failed = backend->last_failure();
                         outcome.target = node.name.empty() ? node.path : node.path + "/" + node.name;
                         if (!failed.operation.empty()) {
                             outcome.operation = "resolve (" + failed.operation + ")";
                             outcome.volume = failed.volume;
                             outcome.server = failed.server;
                             outcome.attempts = failed.attempts;
                         }
                     } else {
                         outcome.target = node.path;
                     }
                     done(ec, ResolveReply{std::move(outcome), std::move(node)});
                 });
}

}  // namespace afs::client
