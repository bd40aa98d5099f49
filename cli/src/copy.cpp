// cp -r rules, as users know them from cp:
//   netcp FILE DST      DST an existing directory: DST/FILE; otherwise DST is the name.
//   netcp -r DIR DST    DST an existing directory: DST/DIR (merged if it exists);
//                       DST missing: DST becomes the copy of DIR (its parent must exist).
//   several sources     DST must be an existing directory.
//   -T                  DST is the exact name, never "inside DST".
//   DST/                DST must be (or, for a directory copy, become) a directory.
// Inside trees, symbolic links are copied as links, FIFOs as FIFOs, empty files and empty
// directories as they are. A failure on one entry is reported and the copy goes on; a
// lost connection ends it.
#include "copy.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <filesystem>
#include <memory>
#include <vector>

#include "exit_codes.hpp"
#include "location.hpp"
#include "remote.hpp"
#include "report.hpp"
#include "transfer.hpp"

namespace netcp {

namespace {

namespace fs = std::filesystem;

std::error_code last_errno() { return {errno, std::generic_category()}; }

std::string base_name(const Location& loc) {
    if (loc.is_remote()) return split_parent(loc.path).second;
    std::string p = loc.path;
    while (p.size() > 1 && p.back() == '/') p.pop_back();
    auto slash = p.rfind('/');
    return slash == std::string::npos ? p : p.substr(slash + 1);
}

// What a path is, on either side.
struct Node {
    enum class Type { missing, file, dir, symlink, fifo, other };
    Type type = Type::missing;
    uint32_t mode = 0;
    struct stat local {};        // for local nodes
    RemoteAttr remote;           // for remote nodes
};

Node::Type type_of_mode(uint32_t mode) {
    switch (mode & S_IFMT) {
        case S_IFREG: return Node::Type::file;
        case S_IFDIR: return Node::Type::dir;
        case S_IFLNK: return Node::Type::symlink;
        case S_IFIFO: return Node::Type::fifo;
        default: return Node::Type::other;
    }
}

class Copier {
public:
    Copier(const Options& o, Reporter& r) : opt_(o), rep_(r) {}

    int run() {
        std::vector<Location> locs;
        for (const auto& text : opt_.operands) {
            auto l = parse_location(text);
            if (!l) return usage(l.error());
            locs.push_back(std::move(*l));
        }
        Location dst = locs.back();
        locs.pop_back();
        const bool upload = dst.is_remote();
        for (const auto& s : locs) {
            if (s.is_remote() == upload)
                return usage(upload ? "both '" + s.text + "' and '" + dst.text + "' are remote: one side must be local"
                                    : "neither '" + s.text + "' nor '" + dst.text +
                                          "' is a 9p:// or afs:// URL: one side must be remote (use cp for local copies)");
        }
        const Location& remote_loc = upload ? dst : locs.front();
        for (const auto& l : locs) {
            if (l.is_remote() && (l.kind != remote_loc.kind || l.host != remote_loc.host || l.port != remote_loc.port))
                return usage(remote_loc.kind == Location::Kind::afs ? "all remote operands must name the same cell"
                                                                    : "all remote operands must name the same server");
        }
        auto remote = open_remote(opt_, remote_loc);
        if (!remote) {
            rep_.fail(remote.error());
            return remote.error().exit_code;
        }
        remote_ = std::move(*remote);
        if (!opt_.trace_file.empty() && !engine().open_error().empty()) {
            rep_.fail({exit_usage, engine().open_error()});
            return exit_usage;
        }

        auto dst_node = stat_node(dst);
        if (!dst_node) {
            rep_.fail(*dst_node.error());
            return rep_.exit_code();
        }
        const bool dst_is_dir = dst_node->type == Node::Type::dir;
        if (locs.size() > 1 && !dst_is_dir) {
            if (opt_.no_target_directory) return usage("-T allows only one source");
            rep_.fail({dst_node->type == Node::Type::missing ? exit_not_found : exit_usage,
                       "target '" + dst.text + "' is not a directory"});
            return rep_.exit_code();
        }
        for (const auto& src : locs) {
            if (interrupted()) break;
            auto node = stat_node(src, !opt_.recursive || opt_.dereference);
            if (!node) {
                rep_.fail(*node.error());
                continue;
            }
            if (node->type == Node::Type::missing) {
                rep_.fail({exit_not_found, "cannot stat '" + src.text + "': No such file or directory"});
                continue;
            }
            Location target = dst;
            Node target_node = *dst_node;
            if (dst_is_dir && !opt_.no_target_directory) {
                target = child(dst, base_name(src));
                auto t = stat_node(target);
                if (!t) {
                    rep_.fail(*t.error());
                    continue;
                }
                target_node = *t;
            }
            copy_node(src, *node, target, target_node, /*top=*/true);
            if (remote_ && !remote_->connected()) break;
        }
        if (interrupted()) rep_.fail({exit_interrupted, "interrupted: partial files were removed"});
        rep_.summary();
        return rep_.exit_code();
    }

private:
    int usage(const std::string& message) {
        std::fprintf(stderr, "netcp: %s\nTry 'netcp --help'.\n", message.c_str());
        return exit_usage;
    }

    std::string name_of(const Location& l) const { return l.is_remote() ? remote_->url(l.path) : l.path; }

    tl::expected<Node, std::unique_ptr<Failure>> stat_node(const Location& l, bool follow = false) {
        Node n;
        if (l.is_remote()) {
            auto a = remote_->stat(l.path);
            if (!a) return tl::unexpected(std::make_unique<Failure>(failure("cannot stat " + name_of(l), a.error())));
            if (!*a) return n;
            n.remote = **a;
            n.mode = n.remote.mode;
            n.type = type_of_mode(n.mode);
            return n;
        }
        int rc = follow ? ::stat(l.path.c_str(), &n.local) : ::lstat(l.path.c_str(), &n.local);
        if (rc != 0) {
            if (errno == ENOENT) return n;
            return tl::unexpected(std::make_unique<Failure>(failure("cannot stat '" + l.path + "'", last_errno())));
        }
        n.mode = n.local.st_mode;
        n.type = type_of_mode(n.mode);
        return n;
    }

    void copy_node(const Location& src, const Node& node, const Location& dst, const Node& dst_node, bool top) {
        if (interrupted()) return;
        if (top && dst.trailing_slash && node.type != Node::Type::dir && dst_node.type != Node::Type::dir) {
            rep_.fail({exit_error, "cannot copy '" + src.text + "' to '" + dst.text + "': Not a directory"});
            return;
        }
        switch (node.type) {
            case Node::Type::dir:
                if (!opt_.recursive) {
                    rep_.fail({exit_usage, "-r not specified; omitting directory '" + src.text + "'"});
                    return;
                }
                if (dst_node.type != Node::Type::missing && dst_node.type != Node::Type::dir) {
                    rep_.fail({exit_error, "cannot overwrite non-directory '" + name_of(dst) + "' with directory '" +
                                               name_of(src) + "'"});
                    return;
                }
                return copy_dir(src, node, dst, dst_node.type == Node::Type::dir);
            case Node::Type::file:
                if (dst_node.type == Node::Type::dir) {
                    rep_.fail({exit_error, "cannot overwrite directory '" + name_of(dst) + "' with non-directory '" +
                                               name_of(src) + "'"});
                    return;
                }
                return copy_file(src, node, dst);
            case Node::Type::symlink:
            case Node::Type::fifo:
                return copy_special(src, node, dst, dst_node);
            case Node::Type::other:
                rep_.fail({exit_error, "cannot copy special file '" + name_of(src) + "': only files, directories, "
                                       "symbolic links and FIFOs are supported"});
                return;
            case Node::Type::missing:
                rep_.fail({exit_not_found, "cannot stat '" + name_of(src) + "': No such file or directory"});
                return;
        }
    }

    void copy_file(const Location& src, const Node& node, const Location& dst) {
        auto r = src.is_remote() ? remote_->download(engine(), src.path, node.remote, dst.path)
                                 : remote_->upload(engine(), src.path, node.local, dst.path);
        if (!r) {
            if (r.error().exit_code == exit_interrupted) return;  // reported once, at the end
            rep_.fail(r.error());
            return;
        }
        rep_.file_copied(name_of(src), name_of(dst), *r);
    }

    void copy_special(const Location& src, const Node& node, const Location& dst, const Node& dst_node) {
        if (dst_node.type == Node::Type::dir) {
            rep_.fail({exit_error, "cannot overwrite directory '" + name_of(dst) + "' with '" + name_of(src) + "'"});
            return;
        }
        std::error_code ec;
        std::string what = node.type == Node::Type::symlink ? "symbolic link" : "FIFO";
        if (src.is_remote()) {
            if (dst_node.type != Node::Type::missing && ::unlink(dst.path.c_str()) != 0) ec = last_errno();
            if (!ec && node.type == Node::Type::symlink) {
                auto target = remote_->readlink(src.path);
                if (!target) ec = target.error();
                else if (::symlink(target->c_str(), dst.path.c_str()) != 0) ec = last_errno();
            } else if (!ec && ::mkfifo(dst.path.c_str(), target_mode(node.mode, opt_.preserve)) != 0) {
                ec = last_errno();
            }
        } else {
            if (dst_node.type != Node::Type::missing) ec = remote_->unlink(dst.path);
            if (!ec && node.type == Node::Type::symlink) {
                std::vector<char> buf(static_cast<size_t>(node.local.st_size) + 1);
                ssize_t n = ::readlink(src.path.c_str(), buf.data(), buf.size());
                if (n < 0) ec = last_errno();
                else ec = remote_->symlink(dst.path, std::string(buf.data(), static_cast<size_t>(n)));
            } else if (!ec) {
                ec = remote_->mkfifo(dst.path, target_mode(node.mode, opt_.preserve));
            }
        }
        if (ec) {
            rep_.fail(failure("cannot create " + what + " '" + name_of(dst) + "'", ec));
            return;
        }
        rep_.file_copied(name_of(src), name_of(dst), 0);
    }

    void copy_dir(const Location& src, const Node& node, const Location& dst, bool exists) {
        if (!exists) {
            const uint32_t mode = target_mode(node.mode, opt_.preserve) | 0700;  // we must be able to fill it
            std::error_code ec = dst.is_remote() ? remote_->mkdir(dst.path, mode)
                                 : ::mkdir(dst.path.c_str(), mode) != 0 ? last_errno()
                                                                        : std::error_code{};
            if (ec) {
                rep_.fail(failure("cannot create directory '" + name_of(dst) + "'", ec));
                return;
            }
            rep_.dir_created(name_of(dst));
        }
        auto entries = list(src);
        if (!entries) {
            rep_.fail(*entries.error());
            return;
        }
        for (const auto& [name, type_hint] : *entries) {
            if (interrupted() || !remote_->connected()) return;
            const Location s = child(src, name), d = child(dst, name);
            auto sn = stat_node(s, opt_.dereference);
            if (!sn) {
                rep_.fail(*sn.error());
                continue;
            }
            if (sn->type == Node::Type::missing) continue;  // vanished while we looked
            Node dn;
            if (exists) {  // only a directory that existed before can hold entries already
                auto t = stat_node(d);
                if (!t) {
                    rep_.fail(*t.error());
                    continue;
                }
                dn = *t;
            }
            copy_node(s, *sn, d, dn, false);
        }
        if (opt_.preserve || !exists) finish_dir(src, node, dst);
    }

    // Restores the directory's own mode (it was created writable) and, with -p, its mtime,
    // after its contents were written.
    void finish_dir(const Location& src, const Node& node, const Location& dst) {
        const uint32_t mode = target_mode(node.mode, opt_.preserve);
        std::error_code ec;
        if (dst.is_remote()) {
            std::optional<timespec> mtime;
            if (opt_.preserve) mtime = node.local.st_mtim;
            ec = remote_->set_dir_attrs(dst.path, mode, mtime);
        } else {
            if (::chmod(dst.path.c_str(), mode) != 0) ec = last_errno();
            if (!ec && opt_.preserve) {
                const timespec times[2] = {{0, UTIME_OMIT},
                                           {static_cast<time_t>(node.remote.mtime_sec),
                                            static_cast<long>(node.remote.mtime_nsec)}};
                if (::utimensat(AT_FDCWD, dst.path.c_str(), times, 0) != 0) ec = last_errno();
            }
        }
        if (ec) rep_.fail(failure("cannot set the attributes of directory '" + name_of(dst) + "'", ec));
        (void)src;
    }

    using Listing = std::vector<std::pair<std::string, int>>;
    tl::expected<Listing, std::unique_ptr<Failure>> list(const Location& dir) {
        Listing out;
        if (dir.is_remote()) {
            auto ents = remote_->list(dir.path);
            if (!ents)
                return tl::unexpected(std::make_unique<Failure>(failure("cannot list " + name_of(dir), ents.error())));
            for (auto& name : *ents) out.emplace_back(std::move(name), 0);
        } else {
            std::error_code ec;
            for (fs::directory_iterator it(dir.path, ec), end; !ec && it != end; it.increment(ec))
                out.emplace_back(it->path().filename().string(), 0);
            if (ec)
                return tl::unexpected(std::make_unique<Failure>(failure("cannot list '" + dir.path + "'", ec)));
        }
        std::sort(out.begin(), out.end());
        return out;
    }

    Engine& engine() {
        if (!engine_) engine_ = std::make_unique<Engine>(opt_);
        return *engine_;
    }

public:
    // --stats: the engine's counters, if anything was uploaded through it.
    void print_stats() const {
        if (opt_.stats && engine_) std::fprintf(stderr, "%s", engine_->stats_text().c_str());
        if (opt_.stats && remote_) std::fprintf(stderr, "%s", remote_->stats_text().c_str());
    }

private:
    const Options& opt_;
    Reporter& rep_;
    std::unique_ptr<Remote> remote_;
    std::unique_ptr<Engine> engine_;
};

}  // namespace

int run_copy(const Options& options) {
    Reporter rep(options.verbosity);
    Copier c(options, rep);
    const int code = c.run();
    c.print_stats();
    return code;
}

}  // namespace netcp
