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
//
// Names listed by a server are hostile until checked: one that is not exactly one path
// component is refused (reported, counted as failed). The local side of a download is
// reached only through directories the copy opened itself (local_dir.hpp), never through
// a path resolved again, so nothing is created or changed outside the destination.
#include "copy.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <filesystem>
#include <functional>
#include <memory>
#include <vector>

#include "entry_names.hpp"
#include "content_digest.hpp"
#include "exit_codes.hpp"
#include "file_list.hpp"
#include "local_dir.hpp"
#include "local_io.hpp"
#include "location.hpp"
#include "progress.hpp"
#include "remote.hpp"
#include "standard_streams.hpp"
#include "report.hpp"
#include "transfer.hpp"
#include "transfer_pool.hpp"

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

// Where a local destination entry is: a name in a directory the copy holds open.
struct LocalAt {
    int dir = -1;
    std::string name;
    std::shared_ptr<DirFd> keep;  // holds `dir` open while a transfer in another thread uses it
};

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
        // `-`: standard input as the one source, standard output as the destination.
        const bool from_stdin = upload && locs.size() == 1 && is_standard_stream(locs.front());
        const bool to_stdout = !upload && is_standard_stream(dst);
        if (upload && !from_stdin && std::any_of(locs.begin(), locs.end(), is_standard_stream))
            return usage("'-' (standard input) must be the only source");
        if (to_stdout && (locs.size() != 1 || opt_.recursive || !opt_.files_from.empty()))
            return usage("'-' (standard output) takes exactly one file: no -r, --files-from or several sources");
        if ((from_stdin || to_stdout) && !opt_.files_from.empty())
            return usage("--files-from takes a directory as SRC, not '-'");
        auto remote = open_remote(opt_, remote_loc);
        if (!remote) {
            rep_.fail(remote.error());
            return remote.error().exit_code;
        }
        remote_ = std::move(*remote);
        if ((!opt_.trace_file.empty() || !opt_.cache_dir.empty()) && !engine().open_error().empty()) {
            rep_.fail({exit_usage, engine().open_error()});
            return exit_usage;
        }
        // Files go to the pool; workers connect on their own as they are needed.
        (void)engine();  // made here: jobs share it from several threads
        pool_ = std::make_unique<TransferPool>(
            opt_.transfers, *remote_, [this, remote_loc] { return open_remote(opt_, remote_loc); },
            [this](const Failure& f) { rep_.fail(f); });

        if (from_stdin) {
            upload_standard_input(dst);
            return finish();
        }
        if (to_stdout) {
            download_to_standard_output(locs.front());
            return finish();
        }
        // A local destination: its directory is opened once (following the user's own
        // links, as cp does), and everything below is reached from that descriptor.
        LocalParent dst_parent;
        DirFd dst_dir;  // the destination itself, when it is a directory
        tl::expected<Node, std::unique_ptr<Failure>> dst_node = Node{};
        if (upload) {
            dst_node = stat_node(dst);
        } else {
            auto p = open_local_parent(dst.path);
            if (!p) {
                rep_.fail(failure("cannot open the directory of '" + dst.path + "'", p.error()));
                return rep_.exit_code();
            }
            dst_parent = std::move(*p);
            dst_node = stat_local_at(dst_parent.dir.get(), dst_parent.name, dst.path, /*follow=*/true);
            if (dst_node && dst_node->type != Node::Type::dir)
                dst_node = stat_local_at(dst_parent.dir.get(), dst_parent.name, dst.path, /*follow=*/false);
            if (dst_node && dst_node->type == Node::Type::dir) {
                const int fd = ::openat(dst_parent.dir.get(), dst_parent.name.c_str(),
                                        O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                if (fd < 0) {
                    rep_.fail(failure("cannot open '" + dst.path + "'", last_errno()));
                    return rep_.exit_code();
                }
                dst_dir = DirFd(fd);
            }
        }
        if (!dst_node) {
            rep_.fail(*dst_node.error());
            return rep_.exit_code();
        }
        if (!opt_.files_from.empty()) {
            copy_listed(locs.front(), dst, *dst_node, dst_parent, std::make_shared<DirFd>(std::move(dst_dir)));
            return finish();
        }
        // Without -r every source is a file (a directory is refused): the total is known.
        if (!opt_.recursive && rep_.progress()) rep_.progress()->set_total_files(locs.size());
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
            LocalAt at{dst_parent.dir.get(), dst_parent.name, nullptr};
            if (dst_is_dir && !opt_.no_target_directory) {
                const std::string name = base_name(src);
                if (auto why = unsafe_name_reason(name)) {
                    rep_.fail({exit_usage, "cannot copy '" + src.text + "' into '" + dst.text + "': " + *why});
                    continue;
                }
                target = child(dst, name);
                auto t = upload ? stat_node(target) : stat_local_at(dst_dir.get(), name, target.path, false);
                if (!t) {
                    rep_.fail(*t.error());
                    continue;
                }
                target_node = *t;
                at = {dst_dir.get(), name, nullptr};
            }
            copy_node(src, *node, target, target_node, /*top=*/true, at);
            if (!still_connected("the sources after " + name_of(src))) break;
        }
        return finish();
    }

private:
    // The end of a copy: the files still in flight land, the directories get their modes
    // and times, and the summary is printed. Called while the local directories the jobs
    // write into are still open.
    int finish() {
        if (pool_) {
            if (interrupted()) pool_->cancel_pending();
            pool_->drain();
        }
        for (const auto& d : finish_dirs_) finish_dir(d.src, d.node, d.dst, d.local->get());
        finish_dirs_.clear();
        if (interrupted()) {
            const uint64_t kept = rep_.partials_kept();
            rep_.fail({exit_interrupted,
                       kept ? "interrupted by a signal: " + std::to_string(kept) + " partial file" + (kept == 1 ? " is" : "s are") +
                                  " kept, and the same command continues " + (kept == 1 ? "it" : "them") +
                                  " (--no-resume starts over)"
                            : "interrupted by a signal: partial files were removed"});
        }
        rep_.summary();
        return rep_.exit_code();
    }

    // Whether the copy can go on: the connection is up, or was made again. If not, one
    // failure (exit 4) names what is left uncopied, instead of one per entry.
    bool still_connected(const std::string& what_is_left) {
        if (!remote_ || remote_->connected()) return true;
        const std::error_code ec = remote_->restore_connection();
        if (!ec) return true;
        rep_.fail({exit_connection, "the connection to the server was lost and could not be made again (" +
                                        ec.message() + "): " + what_is_left + " not copied"});
        return false;
    }

    int usage(const std::string& message) {
        rep_.usage_error(message);
        return exit_usage;
    }

    std::string name_of(const Location& l) const { return l.is_remote() ? remote_->url(l.path) : l.path; }

    // A local destination entry, without following a link there (unless `follow`).
    tl::expected<Node, std::unique_ptr<Failure>> stat_local_at(int dir, const std::string& name,
                                                                const std::string& display, bool follow) {
        Node n;
        if (::fstatat(dir, name.c_str(), &n.local, follow ? 0 : AT_SYMLINK_NOFOLLOW) != 0) {
            if (errno == ENOENT) return n;
            return tl::unexpected(std::make_unique<Failure>(failure("cannot stat '" + display + "'", last_errno())));
        }
        n.mode = n.local.st_mode;
        n.type = type_of_mode(n.mode);
        return n;
    }

    tl::expected<Node, std::unique_ptr<Failure>> stat_node(const Location& l, bool follow = false) {
        Node n;
        if (l.is_remote()) {
            auto a = remote_->stat(l.path);
            if (!a) {
                auto f = std::make_unique<Failure>(failure("cannot stat " + name_of(l), a.error()));
                if (const std::string said = remote_->stat_failure(); !said.empty())
                    f->message = "cannot stat " + name_of(l) + ": " + said;
                return tl::unexpected(std::move(f));
            }
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

    void copy_node(const Location& src, const Node& node, const Location& dst, const Node& dst_node, bool top,
                   const LocalAt& at) {
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
                return copy_dir(src, node, dst, dst_node.type == Node::Type::dir, at);
            case Node::Type::file:
                if (dst_node.type == Node::Type::dir) {
                    rep_.fail({exit_error, "cannot overwrite directory '" + name_of(dst) + "' with non-directory '" +
                                               name_of(src) + "'"});
                    return;
                }
                if (auto reason = skip_reason(node, dst_node)) {
                    rep_.file_skipped(name_of(src), name_of(dst), size_of(node), *reason);
                    return;
                }
                // --checksum compares contents in the job (it reads the server's copy back).
                if (opt_.checksum && dst_node.type == Node::Type::file && size_of(dst_node) == size_of(node))
                    return copy_file(src, node, dst, at, &dst_node);
                if (opt_.dry_run) {
                    rep_.file_skipped(name_of(src), name_of(dst), size_of(node), "dry_run");
                    return;
                }
                return copy_file(src, node, dst, at);
            case Node::Type::symlink:
            case Node::Type::fifo:
                return copy_special(src, node, dst, dst_node, at);
            case Node::Type::other:
                rep_.fail({exit_error, "cannot copy special file '" + name_of(src) + "': only files, directories, "
                                       "symbolic links and FIFOs are supported"});
                return;
            case Node::Type::missing:
                rep_.fail({exit_not_found, "cannot stat '" + name_of(src) + "': No such file or directory"});
                return;
        }
    }

    static uint64_t size_of(const Node& n) {
        return n.local.st_mode ? static_cast<uint64_t>(n.local.st_size) : n.remote.size;
    }
    static std::pair<int64_t, int64_t> mtime_of(const Node& n) {
        if (n.local.st_mode) return {n.local.st_mtim.tv_sec, n.local.st_mtim.tv_nsec};
        return {static_cast<int64_t>(n.remote.mtime_sec), static_cast<int64_t>(n.remote.mtime_nsec)};
    }

    // Why an existing destination file is left alone, as rsync decides: --ignore-existing
    // (it exists), --update (it is newer; or exactly as new and the same size, which
    // rsync's quick check then skips too), --size-only (the same size). Only regular
    // files are compared; anything else there is replaced as without these options.
    std::optional<std::string> skip_reason(const Node& src, const Node& dst) const {
        if (dst.type == Node::Type::missing) return std::nullopt;
        if (opt_.ignore_existing) return "exists";
        if (dst.type != Node::Type::file) return std::nullopt;
        if (opt_.update) {
            const auto s = mtime_of(src), d = mtime_of(dst);
            if (d > s || (d == s && size_of(dst) == size_of(src))) return "newer";
        }
        if (opt_.size_only && size_of(dst) == size_of(src)) return "same_size";
        return std::nullopt;
    }

    // The file is copied by the pool (in this thread when it is busy, or with one transfer),
    // over whichever connection runs the job.
    // `compare`: the destination file, the same size: with --checksum, its content is
    // compared first and the copy made only if it differs.
    void copy_file(const Location& src, const Node& node, const Location& dst, const LocalAt& at,
                   const Node* compare = nullptr) {
        std::optional<Node> same_size;
        if (compare) same_size = *compare;
        auto job = [this, src, node, dst, at, same_size](Remote& over) {
            if (interrupted()) return;
            if (same_size) {
                auto same = same_content(over, src, node, dst, *same_size, at);
                if (!same) return rep_.fail(same.error());
                if (*same) return rep_.file_skipped(name_of(src), name_of(dst), size_of(node), "same_content");
                if (opt_.dry_run) return rep_.file_skipped(name_of(src), name_of(dst), size_of(node), "dry_run");
            }
            copy_file_over(over, src, node, dst, at);
        };
        if (!pool_) return job(*remote_);
        pool_->submit({job, name_of(src)});
    }

    // Whether the destination holds the source's bytes: SHA-256 of the local file and of
    // the server's copy, read back into a private temporary file.
    tl::expected<bool, Failure> same_content(Remote& over, const Location& src, const Node& node, const Location& dst,
                                             const Node& dst_node, const LocalAt& at) {
        const bool upload = dst.is_remote();
        const Location& remote_loc = upload ? dst : src;
        const Node& remote_node = upload ? dst_node : node;
        const int local_fd = upload ? open_upload_source(src.path, -1, opt_.dereference)
                                    : ::openat(at.dir, at.name.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
        if (local_fd < 0)
            return tl::unexpected(failure("cannot compare with --checksum: cannot open '" +
                                              (upload ? src.path : dst.path) + "'",
                                          last_errno()));
        auto local_sum = sha256_of_file(local_fd);
        ::close(local_fd);
        if (!local_sum)
            return tl::unexpected(Failure{exit_error, "cannot compare with --checksum: '" +
                                                          (upload ? src.path : dst.path) + "': " + local_sum.error()});
        auto spool = DownloadSpool::create();
        if (!spool) return tl::unexpected(Failure{exit_error, "cannot compare with --checksum: " + spool.error()});
        auto got = over.download(engine(), remote_loc.path, remote_node.remote,
                                 LocalTarget{spool->dir_fd(), DownloadSpool::name, "a temporary file", false});
        if (!got) {
            Failure f = got.error();
            f.message = "cannot compare with --checksum: " + f.message;
            return tl::unexpected(f);
        }
        const int remote_fd = spool->open_download();
        if (remote_fd < 0) return tl::unexpected(failure("cannot compare with --checksum", last_errno()));
        auto remote_sum = sha256_of_file(remote_fd);
        ::close(remote_fd);
        if (!remote_sum)
            return tl::unexpected(Failure{exit_error, "cannot compare with --checksum: " + remote_sum.error()});
        return *local_sum == *remote_sum;
    }

    void copy_file_over(Remote& over, const Location& src, const Node& node, const Location& dst,
                        const LocalAt& at) {
        const uint64_t size = src.is_remote() ? node.remote.size : static_cast<uint64_t>(node.local.st_size);
        rep_.file_started(name_of(src), name_of(dst), size);
        auto r = src.is_remote() ? over.download(engine(), src.path, node.remote, LocalTarget{at.dir, at.name, dst.path})
                                 : over.upload(engine(), src.path, node.local, dst.path);
        if (!r) {
            if (r.error().exit_code == exit_interrupted) return;  // reported once, at the end
            rep_.fail(r.error());
            return;
        }
        rep_.file_copied(name_of(src), name_of(dst), *r);
    }

    void copy_special(const Location& src, const Node& node, const Location& dst, const Node& dst_node,
                      const LocalAt& at) {
        if (opt_.ignore_existing && dst_node.type != Node::Type::missing) {
            rep_.file_skipped(name_of(src), name_of(dst), 0, "exists");
            return;
        }
        if (opt_.dry_run) {
            rep_.file_skipped(name_of(src), name_of(dst), 0, "dry_run");
            return;
        }
        rep_.file_started(name_of(src), name_of(dst), 0);
        if (dst_node.type == Node::Type::dir) {
            rep_.fail({exit_error, "cannot overwrite directory '" + name_of(dst) + "' with '" + name_of(src) + "'"});
            return;
        }
        std::error_code ec;
        std::string what = node.type == Node::Type::symlink ? "symbolic link" : "FIFO";
        if (src.is_remote()) {
            if (dst_node.type != Node::Type::missing && ::unlinkat(at.dir, at.name.c_str(), 0) != 0) ec = last_errno();
            if (!ec && node.type == Node::Type::symlink) {
                // The link is copied as it is, never followed: no write goes through it.
                auto target = remote_->readlink(src.path);
                if (!target) ec = target.error();
                else if (target->find('\0') != std::string::npos) ec = std::make_error_code(std::errc::invalid_argument);
                else if (::symlinkat(target->c_str(), at.dir, at.name.c_str()) != 0) ec = last_errno();
            } else if (!ec && ::mkfifoat(at.dir, at.name.c_str(), target_mode(node.mode, opt_.preserve)) != 0) {
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

    void copy_dir(const Location& src, const Node& node, const Location& dst, bool exists, const LocalAt& at) {
        if (!exists && !ensure_dir(dst, node, at.dir, at.name)) return;
        // In a dry run a new directory was not made: there is nothing to open, and every
        // entry below is new.
        const bool imagined = !exists && opt_.dry_run;
        // The local directory is entered through its parent's descriptor, refusing a link.
        auto local = std::make_shared<DirFd>();
        if (!dst.is_remote() && !imagined) {
            auto d = open_local_child_dir(at.dir, at.name);
            if (!d) {
                rep_.fail(failure("cannot enter directory '" + dst.path + "'", d.error()));
                return;
            }
            *local = std::move(*d);
        }
        auto entries = list(src);
        if (!entries) {
            rep_.fail(*entries.error());
            return;
        }
        // Each entry is stat'ed below, one after another: let the server answer ahead.
        if (src.is_remote()) remote_->expect_stats(src.path, *entries);
        else if (dst.is_remote() && exists) remote_->expect_stats(dst.path, *entries);
        for (const auto& name : *entries) {
            if (interrupted()) return;
            // A connection that dropped after the last entry was copied is noticed here.
            if (!still_connected("the rest of " + name_of(src) + " (from '" + name + "' on)")) return;
            const Location s = child(src, name), d = child(dst, name);
            auto sn = stat_node(s, opt_.dereference);
            if (!sn) {
                rep_.fail(*sn.error());
                continue;
            }
            if (sn->type == Node::Type::missing) {
                // Listed, yet not there: gone meanwhile, or a server that lists what it
                // cannot open. Either way it was not copied, and the user must know.
                rep_.fail({exit_not_found, "cannot copy " + name_of(s) + ": listed in " + name_of(src) +
                                               " but no longer found"});
                continue;
            }
            Node dn;
            if (exists) {  // only a directory that existed before can hold entries already
                auto t = dst.is_remote() ? stat_node(d) : stat_local_at(local->get(), name, d.path, false);
                if (!t) {
                    rep_.fail(*t.error());
                    continue;
                }
                dn = *t;
            }
            copy_node(s, *sn, d, dn, false, LocalAt{local->get(), name, local});
        }
        if ((opt_.preserve || !exists) && !opt_.dry_run) {
            // Its files may still be in flight (--transfers): its mode and time are set
            // once they are all in place, deepest directories first.
            if (pool_ && opt_.transfers > 1) finish_dirs_.push_back({src, node, dst, local});
            else finish_dir(src, node, dst, local->get());
        }
    }

    static bool is_standard_stream(const Location& l) { return !l.is_remote() && l.path == "-"; }

    // netcp - REMOTE: standard input becomes the file REMOTE names (never a directory:
    // a stream has no name to put inside one).
    void upload_standard_input(const Location& dst) {
        auto dn = stat_node(dst);
        if (!dn) return rep_.fail(*dn.error());
        if (dn->type == Node::Type::dir || dst.trailing_slash)
            return rep_.fail({exit_usage, "standard input has no name: give the file's name in " + name_of(dst) +
                                              " (e.g. " + name_of(child(dst, "data")) + ")"});
        if (rep_.progress()) rep_.progress()->set_total_files(1);
        Node src;
        src.type = Node::Type::file;
        if (opt_.ignore_existing && dn->type != Node::Type::missing)
            return rep_.file_skipped("-", name_of(dst), 0, "exists");
        auto in = spool_standard_input(&interrupted);
        if (!in) {
            if (interrupted()) return rep_.fail({exit_interrupted, in.error()});
            return rep_.fail({exit_error, in.error()});
        }
        src.local = in->st;
        src.mode = in->st.st_mode;
        if (auto reason = skip_reason(src, *dn))
            return rep_.file_skipped("-", name_of(dst), size_of(src), *reason);
        if (opt_.dry_run) return rep_.file_skipped("-", name_of(dst), size_of(src), "dry_run");
        if (dn->type == Node::Type::dir)
            return rep_.fail({exit_error, "cannot overwrite directory '" + name_of(dst) + "' with standard input"});
        rep_.file_started("-", name_of(dst), size_of(src));
        auto r = remote_->upload(engine(), "-", in->st, dst.path, in->fd);
        if (!r) {
            if (r.error().exit_code == exit_interrupted) {
                rep_.fail({exit_interrupted, "interrupted by a signal: partial files were removed"});
                return;
            }
            return rep_.fail(r.error());
        }
        rep_.file_copied("-", name_of(dst), *r);
    }

    // netcp REMOTE -: the file, checked whole, then written to standard output.
    void download_to_standard_output(const Location& src) {
        auto sn = stat_node(src, true);
        if (!sn) return rep_.fail(*sn.error());
        if (sn->type == Node::Type::missing)
            return rep_.fail({exit_not_found, "cannot stat '" + src.text + "': No such file or directory"});
        if (sn->type != Node::Type::file)
            return rep_.fail({exit_usage, "only a regular file can be written to standard output: " + name_of(src) +
                                              " is not one"});
        if (rep_.progress()) rep_.progress()->set_total_files(1);
        if (opt_.dry_run) return rep_.file_skipped(name_of(src), "-", sn->remote.size, "dry_run");
        auto spool = DownloadSpool::create();
        if (!spool) return rep_.fail({exit_error, spool.error()});
        rep_.file_started(name_of(src), "-", sn->remote.size);
        auto r = remote_->download(engine(), src.path, sn->remote,
                                   LocalTarget{spool->dir_fd(), DownloadSpool::name, "standard output", false});
        if (!r) {
            if (r.error().exit_code == exit_interrupted) {
                rep_.fail({exit_interrupted, "interrupted by a signal: nothing was written to standard output"});
                return;
            }
            return rep_.fail(r.error());
        }
        if (const std::string why = spool->copy_to_stdout(*r); !why.empty())
            return rep_.fail({exit_error, name_of(src) + ": " + why});
        rep_.file_copied(name_of(src), "-", *r);
    }

    // --files-from: each listed path of the source directory `src` to the same path under
    // `dst` (created if missing, with the directories each path implies), as rsync does.
    // A listed directory is created, and copied whole only with -r.
    void copy_listed(const Location& src, const Location& dst, const Node& dst_node, LocalParent& dst_parent,
                     std::shared_ptr<DirFd> dst_dir) {
        auto list = read_file_list(opt_.files_from, opt_.from0);
        if (!list) {
            rep_.fail({exit_usage, list.error()});
            return;
        }
        for (const auto& why : list->refused) rep_.fail({exit_usage, "refusing the --files-from entry " + why});
        if (list->paths.empty()) return;  // nothing to copy: make nothing
        auto src_node = stat_node(src, true);
        if (!src_node) {
            rep_.fail(*src_node.error());
            return;
        }
        if (src_node->type != Node::Type::dir) {
            rep_.fail({src_node->type == Node::Type::missing ? exit_not_found : exit_usage,
                       "--files-from needs SRC to be a directory (the listed paths are relative to it): '" +
                           src.text + "' is not one"});
            return;
        }
        if (dst_node.type != Node::Type::missing && dst_node.type != Node::Type::dir) {
            rep_.fail({exit_usage, "--files-from needs DST to be a directory: '" + dst.text + "' is not one"});
            return;
        }
        if (rep_.progress()) rep_.progress()->set_total_files(list->paths.size());
        // The destination directory, made if missing.
        bool dst_exists = dst_node.type == Node::Type::dir;
        if (!dst_exists && !ensure_dir(dst, *src_node, dst_parent.dir.get(), dst_parent.name)) return;
        if (!dst.is_remote() && !*dst_dir && !opt_.dry_run) {
            auto d = open_local_child_dir(dst_parent.dir.get(), dst_parent.name);
            if (!d) {
                rep_.fail(failure("cannot enter directory '" + dst.path + "'", d.error()));
                return;
            }
            *dst_dir = std::move(*d);
        }
        for (const auto& parts : list->paths) {
            if (interrupted()) return;
            if (!still_connected("the rest of the --files-from list")) return;
            copy_listed_path(src, dst, parts, dst_dir->get(), dst_dir, dst_exists);
        }
    }

    void copy_listed_path(const Location& src, const Location& dst, const std::vector<std::string>& parts,
                          int dst_fd, const std::shared_ptr<DirFd>& keep, bool dst_exists) {
        Location s = src, d = dst;
        std::string shown;
        for (const auto& p : parts) shown += (shown.empty() ? "" : "/") + p;
        for (const auto& p : parts)
            if (auto why = unsafe_name_reason(p)) {
                rep_.fail({exit_usage, "refusing the --files-from entry '" + shown + "': " + *why});
                return;
            }
        // The directories the path implies, each made if missing (from the source's own).
        std::shared_ptr<DirFd> here = keep;  // the local directory reached so far (dst_fd at first)
        int at = dst_fd;
        bool exists = dst_exists;
        for (size_t i = 0; i + 1 < parts.size(); ++i) {
            s = child(s, parts[i]);
            d = child(d, parts[i]);
            auto sn = stat_node(s, true);
            if (!sn) {
                rep_.fail(*sn.error());
                return;
            }
            if (sn->type != Node::Type::dir) {
                rep_.fail({sn->type == Node::Type::missing ? exit_not_found : exit_error,
                           "cannot copy the --files-from entry '" + shown + "': " + name_of(s) +
                               (sn->type == Node::Type::missing ? " does not exist" : " is not a directory")});
                return;
            }
            Node dn;
            if (exists) {
                auto t = d.is_remote() ? stat_node(d) : stat_local_at(at, parts[i], d.path, false);
                if (!t) {
                    rep_.fail(*t.error());
                    return;
                }
                dn = *t;
            }
            if (dn.type != Node::Type::missing && dn.type != Node::Type::dir) {
                rep_.fail({exit_error, "cannot copy the --files-from entry '" + shown + "': " + name_of(d) +
                                           " exists and is not a directory"});
                return;
            }
            exists = dn.type == Node::Type::dir;
            if (!exists && !ensure_dir(d, *sn, at, parts[i])) return;
            if (!d.is_remote() && (exists || !opt_.dry_run)) {
                auto opened = open_local_child_dir(at, parts[i]);
                if (!opened) {
                    rep_.fail(failure("cannot enter directory '" + d.path + "'", opened.error()));
                    return;
                }
                here = std::make_shared<DirFd>(std::move(*opened));
                at = here->get();
            }
        }
        const std::string& last = parts.back();
        s = child(s, last);
        d = child(d, last);
        auto sn = stat_node(s, !opt_.recursive || opt_.dereference);
        if (!sn) {
            rep_.fail(*sn.error());
            return;
        }
        if (sn->type == Node::Type::missing) {
            rep_.fail({exit_not_found, "cannot copy the --files-from entry '" + shown + "': " + name_of(s) +
                                           " does not exist"});
            return;
        }
        Node dn;
        if (exists) {
            auto t = d.is_remote() ? stat_node(d) : stat_local_at(at, last, d.path, false);
            if (!t) {
                rep_.fail(*t.error());
                return;
            }
            dn = *t;
        }
        if (sn->type == Node::Type::dir && !opt_.recursive) {
            if (dn.type == Node::Type::missing) ensure_dir(d, *sn, at, last);
            else if (dn.type != Node::Type::dir)
                rep_.fail({exit_error, "cannot overwrite non-directory '" + name_of(d) + "' with directory '" +
                                           name_of(s) + "'"});
            return;
        }
        copy_node(s, *sn, d, dn, false, LocalAt{at, last, here});
    }

    // Creates directory `dst` (`name` in local directory `parent_fd` for a download) with
    // the source directory's mode; in a dry run only says so. False (reported) if it fails.
    bool ensure_dir(const Location& dst, const Node& src_dir, int parent_fd, const std::string& name) {
        if (opt_.dry_run) {
            if (opt_.verbosity >= 1) print_message("would create directory '" + printable(name_of(dst)) + "'\n");
            return true;
        }
        const uint32_t mode = target_mode(src_dir.mode, opt_.preserve) | 0700;
        std::error_code ec = dst.is_remote() ? remote_->mkdir(dst.path, mode)
                             : ::mkdirat(parent_fd, name.c_str(), mode) != 0 ? last_errno()
                                                                             : std::error_code{};
        if (ec) {
            rep_.fail(failure("cannot create directory '" + name_of(dst) + "'", ec));
            return false;
        }
        rep_.dir_created(name_of(dst));
        return true;
    }

    // Restores the directory's own mode (it was created writable) and, with -p, its mtime,
    // after its contents were written.
    void finish_dir(const Location& src, const Node& node, const Location& dst, int local_fd) {
        const uint32_t mode = target_mode(node.mode, opt_.preserve);
        std::error_code ec;
        if (dst.is_remote()) {
            std::optional<timespec> mtime;
            if (opt_.preserve) mtime = node.local.st_mtim;
            ec = remote_->set_dir_attrs(dst.path, mode, mtime);
        } else {
            if (::fchmod(local_fd, mode) != 0) ec = last_errno();
            if (!ec && opt_.preserve) {
                const timespec times[2] = {{0, UTIME_OMIT},
                                           {static_cast<time_t>(node.remote.mtime_sec),
                                            static_cast<long>(node.remote.mtime_nsec)}};
                if (::futimens(local_fd, times) != 0) ec = last_errno();
            }
        }
        if (ec) rep_.fail(failure("cannot set the attributes of directory '" + name_of(dst) + "'", ec));
        (void)src;
    }

    // The entries of `dir`, sorted, each exactly one path component: others are reported
    // as failures and left out (a server's "../x" or "a/b", a NUL inside, "", "." or "..").
    // A name listed twice is copied once.
    using Listing = std::vector<std::string>;
    tl::expected<Listing, std::unique_ptr<Failure>> list(const Location& dir) {
        Listing names;
        if (dir.is_remote()) {
            auto ents = remote_->list(dir.path);
            if (!ents)
                return tl::unexpected(std::make_unique<Failure>(failure("cannot list " + name_of(dir), ents.error())));
            names = std::move(*ents);
        } else {
            std::error_code ec;
            for (fs::directory_iterator it(dir.path, ec), end; !ec && it != end; it.increment(ec))
                names.push_back(it->path().filename().string());
            if (ec)
                return tl::unexpected(std::make_unique<Failure>(failure("cannot list '" + dir.path + "'", ec)));
        }
        Listing out;
        out.reserve(names.size());
        for (auto& name : names) {
            if (auto why = unsafe_name_reason(name)) {
                rep_.fail({exit_error, "refusing the entry '" + name + "' listed in " + name_of(dir) + ": " + *why});
                continue;
            }
            out.push_back(std::move(name));
        }
        std::sort(out.begin(), out.end());
        out.erase(std::unique(out.begin(), out.end()), out.end());
        return out;
    }

    Engine& engine() {
        if (!engine_) engine_ = std::make_unique<Engine>(opt_, &rep_);
        return *engine_;
    }

public:
    // --stats: the engine's counters, if anything was uploaded through it.
    void print_stats() const {
        if (opt_.stats && engine_) print_message(engine_->stats_text());
        if (opt_.stats && remote_) {
            std::vector<std::string> texts{remote_->stats_text()};
            if (pool_)
                for (const Remote* r : pool_->worker_remotes()) texts.push_back(r->stats_text());
            print_message(merge_stats_texts(texts));
        }
    }

private:
    const Options& opt_;
    Reporter& rep_;
    std::unique_ptr<Remote> remote_;
    std::unique_ptr<Engine> engine_;
    // Directories whose modes and times are set at the end, once their files are in.
    struct FinishDir {
        Location src;
        Node node;
        Location dst;
        std::shared_ptr<DirFd> local;
    };
    std::vector<FinishDir> finish_dirs_;
    std::unique_ptr<TransferPool> pool_;  // declared last: destroyed (drained) first
};

}  // namespace

int run_copy(const Options& options) {
    // The live line only on a terminal; progress events only with --json.
    const bool line = options.progress && options.verbosity >= 1 && stderr_is_terminal();
    std::function<void(const std::string&)> json_out;
    if (options.json) json_out = print_json_line;
    Progress progress(line, json_out);
    set_message_progress(&progress);
    struct Unset {
        ~Unset() { set_message_progress(nullptr); }
    } unset;
    Reporter rep(options.verbosity, options.json, &progress);
    std::vector<std::string> sources(options.operands.begin(), options.operands.end() - 1);
    rep.start(sources, options.operands.back());
    Copier c(options, rep);
    const int code = c.run();
    progress.stop();  // no progress event after the summary, no line under the stats
    c.print_stats();
    rep.finish(code);
    return code;
}

}  // namespace netcp
