// Path resolution as a small state machine over a ResolverBackend (see resolver.hpp).
#include "libafs/client/resolver.hpp"

#include <mutex>

namespace afs::client {
namespace {

using wire::AFSFetchStatus;
using wire::VolumeType;

std::error_code posix(std::errc e) { return std::make_error_code(e); }

// Splits a relative symlink's contents and applies it to `base` lexically.
bool apply_relative(std::vector<std::string>& out, std::string_view text) {
    while (!text.empty()) {
        const size_t slash = text.find('/');
        const std::string_view part = text.substr(0, slash);
        text = slash == std::string_view::npos ? std::string_view{} : text.substr(slash + 1);
        if (part.empty() || part == ".") continue;
        if (part == "..") {
            if (out.empty()) return false;  // above the cell's root
            out.pop_back();
            continue;
        }
        if (!wire::is_valid_name(part)) return false;
        out.emplace_back(part);
    }
    return true;
}

class Resolution : public std::enable_shared_from_this<Resolution> {
public:
    Resolution(std::shared_ptr<ResolverBackend> backend, wire::AfsPath path, ResolveOptions options,
               std::function<void(std::error_code, Node)> done)
        : backend_(std::move(backend)), path_(std::move(path)), options_(options), done_(std::move(done)) {}

    void start() {
        run([self = shared_from_this()] { self->from_cell_root(); });
    }

private:
    // Continuations run here, one at a time: a backend that answers inline does not grow
    // the stack with every name, and one that answers on another thread is serialised.
    void run(std::function<void()> next) {
        std::unique_lock lock(mutex_);
        pending_ = std::move(next);
        if (in_loop_) return;
        in_loop_ = true;
        while (pending_) {
            auto f = std::move(pending_);
            pending_ = nullptr;
            lock.unlock();
            f();
            lock.lock();
        }
        in_loop_ = false;
    }

    template <class T, class F>
    ResolverBackend::Callback<T> then(F f) {
        return [self = shared_from_this(), f = std::move(f)](std::error_code ec, T value) mutable {
            self->run([self, f = std::move(f), ec, v = std::move(value)]() mutable {
                if (ec) return self->fail(ec);
                f(std::move(v));
            });
        };
    }

    size_t target_count() const {
        return options_.parent_only ? path_.components.size() - 1 : path_.components.size();
    }

    // "/afs/CELL" is a mount point of root.cell in root.afs: read-only when it has a replica.
    void from_cell_root() {
        if (options_.parent_only && path_.components.empty()) return fail(posix(std::errc::invalid_argument));
        index_ = 0;
        const wire::MountPoint root{path_.read_write ? '%' : '#', "", "root.cell"};
        backend_->mount_target(path_.cell, root, VolumeType::ro, then<VolumeRoot>([this](VolumeRoot vr) {
                                   enter_volume(std::move(vr));
                               }));
    }

    void enter_volume(VolumeRoot vr) {
        if (index_ == 0) parent_ = vr.root;
        cur_ = vr.root;
        cur_type_ = vr.type;
        backend_->fetch_status(cur_, then<AFSFetchStatus>([this](AFSFetchStatus st) {
                                   cur_status_ = st;
                                   next_name();
                               }));
    }

    void next_name() {
        if (index_ == target_count()) return succeed();
        if (++steps_ > options_.max_steps) return fail(posix(std::errc::too_many_symbolic_link_levels));
        if (!cur_status_.is_directory()) return fail(posix(std::errc::not_a_directory));
        backend_->read_directory(
            cur_, cur_status_,
            then<std::shared_ptr<const wire::dir::Directory>>([this, name = path_.components[index_]](auto dir) {
                const auto entry = dir ? dir->lookup(name) : std::nullopt;
                if (!entry) return fail(posix(std::errc::no_such_file_or_directory));
                FileRef child{cur_.cell, {cur_.fid.volume, entry->vnode, entry->unique}};
                backend_->fetch_status(child, then<AFSFetchStatus>([this, child](AFSFetchStatus st) {
                                           at_child(child, st);
                                       }));
            }));
    }

    void at_child(const FileRef& child, const AFSFetchStatus& st) {
        const bool last = index_ + 1 == path_.components.size();
        if (!st.is_symlink() || (last && !options_.follow_last_symlink && !looks_like_mount_point(st)))
            return descend(child, st);
        backend_->read_link(child, st, then<std::string>([this, child, st, last](std::string text) {
                                if (looks_like_mount_point(st)) {
                                    if (auto mount = wire::parse_mount_point(text)) return cross(*mount);
                                }
                                if (last && !options_.follow_last_symlink) return descend(child, st);
                                follow(text);
                            }));
    }

    void descend(const FileRef& child, const AFSFetchStatus& st) {
        parent_ = cur_;
        cur_ = child;
        cur_status_ = st;
        ++index_;
        next_name();
    }

    void cross(const wire::MountPoint& mount) {
        const std::string cell = mount.cell.empty() ? cur_.cell : mount.cell;
        parent_ = cur_;
        ++index_;
        backend_->mount_target(cell, mount, cur_type_, then<VolumeRoot>([this](VolumeRoot vr) {
                                   enter_volume(std::move(vr));
                               }));
    }

    // A symbolic link: rewrite the path and resolve it again from the cell's root.
    void follow(const std::string& text) {
        if (++links_ > options_.max_symlinks) return fail(posix(std::errc::too_many_symbolic_link_levels));
        const std::vector<std::string> rest(path_.components.begin() + static_cast<ptrdiff_t>(index_) + 1,
                                            path_.components.end());
        wire::AfsPath next;
        if (text.starts_with('/')) {
            auto parsed = wire::parse_afs_path(text);
            if (!parsed) return fail(posix(std::errc::cross_device_link));  // outside /afs/CELL
            next = std::move(*parsed);
        } else {
            next.cell = path_.cell;
            next.read_write = path_.read_write;
            next.components.assign(path_.components.begin(), path_.components.begin() + static_cast<ptrdiff_t>(index_));
            if (!apply_relative(next.components, text)) return fail(posix(std::errc::no_such_file_or_directory));
        }
        next.components.insert(next.components.end(), rest.begin(), rest.end());
        path_ = std::move(next);
        from_cell_root();
    }

    Node node() const {
        Node n;
        n.ref = cur_;
        n.status = cur_status_;
        n.volume_type = cur_type_;
        n.parent = options_.parent_only ? cur_ : parent_;
        if (!path_.components.empty()) n.name = path_.components.back();
        n.path = wire::to_string(path_);
        return n;
    }

    void succeed() {
        if (options_.parent_only && !cur_status_.is_directory()) return fail(posix(std::errc::not_a_directory));
        finish({}, node());
    }

    void fail(std::error_code ec) {
        Node n;
        n.ref = cur_;
        n.volume_type = cur_type_;
        wire::AfsPath reached{path_.cell, path_.read_write, {}};
        const size_t upto = std::min(index_, path_.components.size());
        reached.components.assign(path_.components.begin(), path_.components.begin() + static_cast<ptrdiff_t>(upto));
        n.path = wire::to_string(reached);
        if (index_ < path_.components.size()) n.name = path_.components[index_];
        finish(ec, std::move(n));
    }

    void finish(std::error_code ec, Node n) {
        auto done = std::move(done_);
        done_ = nullptr;
        if (done) done(ec, std::move(n));
    }

    std::shared_ptr<ResolverBackend> backend_;
    wire::AfsPath path_;
    ResolveOptions options_;
    std::function<void(std::error_code, Node)> done_;

    size_t index_ = 0;  // the next name of path_.components to look up
    FileRef cur_, parent_;
    AFSFetchStatus cur_status_;
    VolumeType cur_type_ = VolumeType::rw;
    uint32_t links_ = 0, steps_ = 0;

    std::mutex mutex_;
    std::function<void()> pending_;
    bool in_loop_ = false;
};

}  // namespace

bool looks_like_mount_point(const AFSFetchStatus& status) {
    return status.is_symlink() && (status.unix_mode_bits & 0111) == 0;
}

void resolve_path(std::shared_ptr<ResolverBackend> backend, wire::AfsPath path, ResolveOptions options,
                  std::function<void(std::error_code, Node)> done) {
    std::make_shared<Resolution>(std::move(backend), std::move(path), options, std::move(done))->start();
}

}  // namespace afs::client
