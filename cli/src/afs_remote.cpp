#include "afs_remote.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <sstream>

#include "engine.hpp"
#include "local_io.hpp"
#include "exit_codes.hpp"
#include "libafs/error.hpp"
#include "libafs/netfs/remote_file.hpp"
#include "libafs/netfs/write_backend.hpp"
#include "content_digest.hpp"
#include "local_partial.hpp"
#include "resume.hpp"

namespace netcp {

namespace {

using afs::client::Error;
using afs::client::Identity;
using afs::client::Result;
using afs::netfs::RemoteFile;

std::error_code last_errno() { return {errno, std::generic_category()}; }

// A failure from libafs: its message names the call, file, server and key(s).
Failure afs_failure(const std::string& what, const Error& e) {
    Failure f = failure(what, e.code);  // a fileserver that fell silent is exit 7 (classify)
    f.message = what + ": " + e.message();
    return f;
}

uint32_t mode_of(const afs::wire::AFSFetchStatus& st) {
    const uint32_t type = st.is_directory() ? S_IFDIR
                          : st.file_type == afs::wire::file_type::symlink ? S_IFLNK
                                                                           : S_IFREG;
    return type | (st.unix_mode_bits & 07777);
}

// Closes a file descriptor on scope exit.
struct FdGuard {
    int fd = -1;
    ~FdGuard() {
        if (fd >= 0) ::close(fd);
    }
};

}  // namespace

tl::expected<std::unique_ptr<AfsRemote>, Failure> AfsRemote::open(const Options& options, const Location& loc) {
    auto setup = afs_setup(options, loc.host);
    if (!setup) return tl::unexpected(setup.error());
    afs::client::ClientOptions co;
    co.cells.push_back(setup->cell);
    // --timeout is how long a server may stay silent: Rx's dead time.
    // A fileserver that answers pings but never the call itself is bounded by it too: the
    // idle timeout aborts a call that moved no data either way for that long.
    if (options.timeout.count() > 0) {
        co.transport.engine.dead_time = options.timeout;
        co.transport.engine.idle_timeout = options.timeout;
    } else {
        co.transport.engine.dead_time = std::chrono::hours(24 * 365);
    }
    auto client = afs::client::BlockingClient::create(co);
    if (!client)
        return tl::unexpected(Failure{exit_connection, "cannot start the AFS client: " + client.error().message()});
    std::unique_ptr<AfsRemote> r(new AfsRemote(options, loc, std::move(*setup), std::move(*client)));
    // The cell's root: a VL lookup and a fileserver call. A key refused here may still do
    // elsewhere; anything else means the cell cannot be used at all.
    auto root = r->with_keys<afs::client::Node>(
        [&](const Identity& who) { return r->client_->resolve(who, r->afs_path("")); });
    if (!root && !afs::is_key_error(root.error().code)) {
        Failure f = afs_failure("cannot reach cell '" + loc.host + "' (VL servers from " + r->setup_.vl_source + ")",
                                root.error());
        if (f.exit_code != exit_interrupted) f.exit_code = exit_connection;
        return tl::unexpected(f);
    }
    return r;
}

AfsRemote::AfsRemote(const Options& options, Location where, AfsSetup setup,
                     std::unique_ptr<afs::client::BlockingClient> client)
    : options_(options), where_(std::move(where)), setup_(std::move(setup)), client_(std::move(client)),
      per_key_(setup_.keys.size()) {}

std::string AfsRemote::url(const std::string& path) const {
    Location l = where_;
    l.path = path;
    return describe(l);
}

std::string AfsRemote::afs_path(const std::string& path) const {
    return "/afs/" + where_.host + (path.empty() ? "" : "/" + path);
}

void AfsRemote::add_refusal_hint(std::string& message, std::error_code ec) const {
    if (!afs::is_key_error(ec)) return;
    const std::string hint = setup_.refusal_hint(afs::crypto::unix_now());
    if (!hint.empty()) message += " (" + hint + ")";
}

afs::client::Identity AfsRemote::renew_key(size_t k) {
    std::lock_guard lock(renew_mu_);
    auto fresh = setup_.renew(k, afs::crypto::unix_now());
    if (fresh) ++key_renewals_;
    return fresh;
}

template <class T, class Op>
Result<T> AfsRemote::with_keys(Op&& op) {
    const auto& keys = setup_.keys;
    std::optional<Error> last;
    std::string tried;
    for (size_t i = 0; i < keys.size(); ++i) {
        const size_t k = (preferred_key_ + i) % keys.size();
        Result<T> r = op(keys[k]);
        // A Kerberos ticket that ended is renewed from its keytab or cache, and the same
        // principal tries again.
        if (!r && afs::is_key_error(r.error().code)) {
            if (auto fresh = renew_key(k)) r = op(fresh);
        }
        if (r || !afs::is_key_error(r.error().code)) {
            if (r) preferred_key_ = k;
            return r;
        }
        ++op_refused_;
        tried += (tried.empty() ? "" : ", then ") + afs::client::describe(keys[k]) + " (" + r.error().code.message() + ")";
        last = std::move(r.error());
    }
    // Every key was refused: say which were tried and what each got.
    if (keys.size() > 1) last->outcome.identity = tried;
    return tl::unexpected(std::move(*last));
}

tl::expected<std::optional<RemoteAttr>, std::error_code> AfsRemote::stat(const std::string& path) {
    const std::string p = afs_path(path);
    auto node = with_keys<afs::client::Node>([&](const Identity& who) { return client_->resolve(who, p); });
    stat_failure_.clear();
    if (!node) {
        const std::error_code ec = node.error().code;
        // The path crosses a mount point whose volume the VL server does not know (deleted,
        // renamed, or a typo in the mount point). That is not a missing file, although the
        // code compares equal to ENOENT: say so, with the volume's name.
        if (ec == afs::errc::no_such_volume || ec == afs::abort_error(afs::abort_code::VL_NOENT)) {
            stat_failure_ = "its path crosses a mount point of a volume that does not exist (" + node.error().message() + ")";
            return tl::unexpected(ec);
        }
        if (ec == std::errc::no_such_file_or_directory) return std::optional<RemoteAttr>{};
        stat_failure_ = node.error().message();
        add_refusal_hint(stat_failure_, node.error().code);
        return tl::unexpected(ec);
    }
    RemoteAttr a;
    a.mode = mode_of(node->status);
    a.size = node->status.length();
    a.mtime_sec = a.atime_sec = node->status.client_mod_time;  // the Unix mtime clients set
    a.native = RemoteFile{node->ref, node->status, p, preferred_key_};
    return std::optional<RemoteAttr>(std::move(a));
}

tl::expected<std::vector<std::string>, std::error_code> AfsRemote::list(const std::string& path) {
    const std::string p = afs_path(path);
    auto node = with_keys<afs::client::Node>([&](const Identity& who) { return client_->resolve(who, p); });
    if (!node) return tl::unexpected(node.error().code);
    auto dir = with_keys<afs::client::DirectoryReply>(
        [&](const Identity& who) { return client_->read_directory(who, node->ref); });
    if (!dir) return tl::unexpected(dir.error().code);
    std::vector<std::string> names;
    for (const auto& e : dir->directory->entries())
        if (e.name != "." && e.name != "..") names.push_back(e.name);
    return names;
}

std::error_code AfsRemote::mkdir(const std::string& path, uint32_t mode) {
    const std::string p = afs_path(path);
    auto r = with_keys<afs::client::CreateReply>(
        [&](const Identity& who) { return client_->make_dir(who, p, afs::client::CreateParams{mode, {}}); });
    return r ? std::error_code{} : r.error().code;
}

std::error_code AfsRemote::unlink(const std::string& path) {
    const std::string p = afs_path(path);
    auto r = with_keys<afs::client::RemoveReply>([&](const Identity& who) { return client_->remove_file(who, p); });
    if (!r && r.error().code != std::errc::no_such_file_or_directory) return r.error().code;
    return {};
}

std::error_code AfsRemote::set_dir_attrs(const std::string& path, uint32_t mode, std::optional<struct timespec> mtime) {
    const std::string p = afs_path(path);
    auto node = with_keys<afs::client::Node>([&](const Identity& who) { return client_->resolve(who, p); });
    if (!node) return node.error().code;
    afs::wire::AFSStoreStatus st;
    st.mask = afs::wire::store_mask::set_mode;
    st.unix_mode_bits = mode;
    if (mtime) {
        st.mask |= afs::wire::store_mask::set_mod_time;
        st.client_mod_time = static_cast<uint32_t>(mtime->tv_sec);
    }
    auto r = with_keys<afs::client::StoreReply>(
        [&](const Identity& who) { return client_->store_status(who, node->ref, st); });
    return r ? std::error_code{} : r.error().code;
}

tl::expected<std::string, std::error_code> AfsRemote::readlink(const std::string&) {
    return tl::unexpected(std::make_error_code(std::errc::operation_not_supported));
}
std::error_code AfsRemote::symlink(const std::string&, const std::string&) {
    return std::make_error_code(std::errc::operation_not_supported);
}
std::error_code AfsRemote::mkfifo(const std::string&, uint32_t) {
    return std::make_error_code(std::errc::operation_not_supported);
}

tl::expected<uint64_t, Failure> AfsRemote::upload(Engine& engine, const std::string& local, const struct stat& st,
                                                  const std::string& remote_path, int source_fd) {
    const std::string dest = url(remote_path);
    FdGuard src{open_upload_source(local, source_fd, options_.dereference)};
    if (src.fd < 0) return tl::unexpected(failure("cannot open '" + local + "'", last_errno()));

    auto [parent, name] = split_parent(remote_path);
    const uint64_t size = static_cast<uint64_t>(st.st_size);
    auto in_parent = [&](const std::string& n) { return afs_path(parent.empty() ? n : parent + "/" + n); };
    // The partial file is named by its fid: never reused within a volume (the uniquifier).
    auto id_of = [](const afs::client::FileRef& f) { return (uint64_t(f.fid.vnode) << 32) | f.fid.unique; };

    // An interrupted run of this same upload may have left a partial file to continue
    // (standard input is spooled anew each time: nothing to continue).
    const bool may_resume = options_.resume && source_fd < 0 && options_.write_mode != Options::WriteMode::raw_pipeline;
    UploadJournal journal;
    if (source_fd < 0)
        journal = open_upload_journal("afs\0" + where_.host + '\0' + remote_path,
                                      {{"kind", "afs-upload"}, {"where", {{"cell", where_.host}, {"path", remote_path}}}},
                                      local, st, may_resume);
    std::optional<afs::client::FileRef> partial;
    std::string tmp_name;
    uint64_t from = 0;
    std::string note;
    const auto& earlier = journal.earlier;
    if (journal.may_take_up && is_partial_name(earlier->partial, name)) {
        auto take_up = [&]() -> std::string {
            auto node = with_keys<afs::client::Node>(
                [&](const Identity& who) { return client_->resolve(who, in_parent(earlier->partial)); });
            if (!node) return "the partial file: " + node.error().message();
            if (id_of(node->ref) != earlier->partial_id || node->status.is_directory() ||
                node->status.file_type == afs::wire::file_type::symlink)
                return "the partial file was replaced";
            const uint64_t at = upload_resume_point(earlier->prefix, size);
            if (at == 0) return "less than 256 KiB was acknowledged";
            afs::netfs::ReadOptions ro;
            ro.name = url(parent.empty() ? earlier->partial : parent + "/" + earlier->partial);
            ro.data_version = node->status.data_version();
            auto reader = afs::netfs::AfsReadBackend::create(client_->client(), node->ref, setup_.keys, ro);
            if (!reader) return "cannot read it: " + reader.error().message();
            auto same = boundary_matches(at, file_reader(src.fd), blocking_reader(**reader));
            if (!same) return "cannot check it: " + same.error().message();
            if (!*same) return "the server's copy differs from the source before byte " + std::to_string(at);
            partial = node->ref;
            tmp_name = earlier->partial;
            from = at;
            return {};
        };
        note = take_up();
        if (!note.empty()) note = not_resuming(note);
    }
    // An earlier partial file of this destination and source that is not taken up is of
    // no more use (removed by name, only a name this upload would have chosen).
    if (earlier && !partial && is_partial_name(earlier->partial, name))
        (void)with_keys<afs::client::RemoveReply>(
            [&](const Identity& who) { return client_->remove_file(who, in_parent(earlier->partial)); });
    warn_resume(engine, dest, note, journal.no_journal);

    if (!partial) {
        tmp_name = partial_name(name);
        afs::client::CreateParams cp{target_mode(st.st_mode, options_.preserve), {}};
        auto file = with_keys<afs::client::CreateReply>(
            [&](const Identity& who) { return client_->create_file(who, in_parent(tmp_name), cp); });
        if (!file) {
            Failure f = afs_failure("cannot upload '" + local + "' to " + dest + " (creating " + tmp_name + ")", file.error());
            add_refusal_hint(f.message, file.error().code);
            if (journal.journal) journal.journal->remove();
            return tl::unexpected(f);
        }
        partial = file->file;
    }
    const std::string tmp = in_parent(tmp_name);
    const std::string final_path = afs_path(remote_path);
    const size_t creator = preferred_key_;
    begin_upload_journal(journal, engine, dest, may_resume, tmp_name, id_of(*partial), from, size);
    ResumeJournal* const record = journal.journal ? &*journal.journal : nullptr;
    if (from > 0 && engine.reporter()) engine.reporter()->file_resumed(from);

    afs::netfs::WriteOptions wo;
    wo.file_length = size;  // every store says so: stores landing out of order never cut each other
    wo.fsync = options_.fsync;
    wo.name = dest;
    wo.renew_key = [this](size_t k) { return renew_key(k); };  // the writer's keys are setup_.keys, in order
    if (options_.preserve) wo.mtime = static_cast<uint32_t>(st.st_mtim.tv_sec);
    auto writer = afs::netfs::AfsWriteBackend::create(client_->client(), *partial, setup_.keys, wo);
    if (!writer) return tl::unexpected(failure("cannot upload to " + dest, writer.error()));
    (*writer)->prefer_key(creator);  // it could create the file: it is the likeliest to write it

    // The cache entry is the new file's (its FID survives the rename). Direct writes bypass
    // the cache stream, so they leave nothing to cache.
    std::shared_ptr<netfs::cache::Object> cached;
    if (options_.write_mode == Options::WriteMode::buffered || options_.write_mode == Options::WriteMode::write_through)
        cached = engine.cache_object(afs::netfs::cache_key(*partial), {}, dest);

    // Removes the temporary file; if that fails too (the fileserver stopped answering),
    // the message names what is left on the server.
    // A partial file that could not be removed stays in the journal: the next run removes
    // it (or continues it).
    auto remove_tmp = [&](Failure& f) {
        auto r = with_keys<afs::client::RemoveReply>([&](const Identity& who) { return client_->remove_file(who, tmp); });
        if (!r && r.error().code != std::errc::no_such_file_or_directory)
            f.message += "; the partial file " + url(parent.empty() ? tmp_name : parent + "/" + tmp_name) +
                         " is left on the server (" + r.error().code.message() + ")";
        else if (record) record->remove();
    };
    auto abandon = [&](Failure f) {
        if (record && worth_resuming(f)) {
            // Stopped, or the fileserver went away: what it acknowledged is worth keeping.
            f.message += kept_for_resume_note("the partial upload " + url(parent.empty() ? tmp_name : parent + "/" + tmp_name));
            if (engine.reporter()) engine.reporter()->partial_kept();
        } else {
            remove_tmp(f);
        }
        engine.finish_cache(cached.get(), false, dest);
        return tl::unexpected(std::move(f));
    };

    // What every stream acknowledged goes into the journal as it is collected.
    ResumePoint point;
    point.from = from;
    if (record) point.stored = [record](uint64_t pos, uint64_t len) { record->stored(pos, len); };
    std::error_code ec = engine.upload(src.fd, size, **writer, (*writer)->max_in_flight_bytes(), cached.get(),
                                       &interrupted, point);
    add_write_stats((*writer)->stats());
    if (ec == std::errc::io_error && (*writer)->failure().empty())
        return abandon(failure("'" + local + "' changed size while it was being uploaded to " + dest, ec));
    if (ec) {
        Failure f = failure("upload of '" + local + "' to " + dest + " failed", ec);
        // The backend's account names the file, the server and what every key got.
        if (!(*writer)->failure().empty()) f.message = "upload of '" + local + "' failed: " + (*writer)->failure();
        add_refusal_hint(f.message, ec);
        return abandon(f);
    }
    if (cached) {
        // The entry now describes the file as the fileserver holds it (a rename keeps its
        // FID, length and data version), so the next download is served from the cache.
        auto now = (*writer)->last_status();
        if (!now) {
            auto s = with_keys<afs::client::StatusReply>(
                [&](const Identity& who) { return client_->fetch_status(who, *partial); });
            if (s) now = s->status;
        }
        if (now) cached->set_coherency(afs::netfs::coherency(*now));
        else cached->invalidate();
    }
    auto renamed = with_keys<afs::client::RenameReply>(
        [&](const Identity& who) { return client_->rename(who, tmp, final_path); });
    if (!renamed) {
        Failure f = afs_failure("cannot rename the upload into place at " + dest, renamed.error());
        add_refusal_hint(f.message, renamed.error().code);
        return abandon(f);
    }
    engine.finish_cache(cached.get(), true, dest);
    if (record) record->remove();
    return size - from;  // this run's bytes
}

tl::expected<uint64_t, Failure> AfsRemote::download(Engine& engine, const std::string& remote_path,
                                                    const RemoteAttr& attr, const LocalTarget& local) {
    const std::string from = url(remote_path);
    const auto& file = std::any_cast<const RemoteFile&>(attr.native);
    // The key that could look the file up goes first: it most likely may read it too.
    std::vector<Identity> keys;
    for (size_t i = 0; i < setup_.keys.size(); ++i) keys.push_back(setup_.keys[(file.key + i) % setup_.keys.size()]);
    afs::netfs::ReadOptions ro;
    ro.name = from;
    // Every fetch must come from the version the copy began with: a file written or
    // truncated by another client meanwhile is an error, never a mix of two versions.
    ro.data_version = file.status.data_version();
    auto reader = afs::netfs::AfsReadBackend::create(client_->client(), file.ref, std::move(keys), ro);
    if (!reader) return tl::unexpected(failure("cannot read " + from, reader.error()));

    // A new partial file, or the one an interrupted run of this same download left. The
    // file is the same one while its fid (never reused in a volume) and data version are.
    const nlohmann::json transfer = {
        {"kind", "afs-download"},
        {"where", {{"cell", file.ref.cell}, {"path", remote_path}}},
        {"exact", sha256_hex(file.ref.cell + '\0' + remote_path)},
        {"source",
         {{"volume", file.ref.fid.volume}, {"vnode", file.ref.fid.vnode}, {"unique", file.ref.fid.unique},
          {"data_version", file.status.data_version()}, {"size", file.size()},
          {"server_mod_time", file.status.server_mod_time}}}};
    auto out = DownloadTarget::open(engine, options_, from, transfer, file.size(), blocking_reader(**reader), local);
    if (!out) return tl::unexpected(out.error());
    std::shared_ptr<netfs::cache::Object> cached =
        engine.cache_object(afs::netfs::cache_key(file.ref), afs::netfs::coherency(file.status), from);

    auto got = engine.download(**reader, file.size(), cached.get(), out->fd(), &interrupted, out->resume_point());
    add_read_stats((*reader)->stats());
    if (!got && got.error() == netfs::errc::remote_changed) {
        // Nothing of it may be kept: the cache entry and the partial file are of the
        // version that is gone.
        engine.finish_cache(cached.get(), false, from);
        std::string why = "it ended before its size";
        if (const auto now = (*reader)->changed_to())
            why = "another client wrote it: data version " + std::to_string(file.status.data_version()) + " when the copy began, " +
                  std::to_string(now->data_version()) + " now, length " + std::to_string(file.size()) + " then, " +
                  std::to_string(now->length()) + " bytes now";
        return tl::unexpected(out->abandon(changed_during_download(from, why), false, engine));
    }
    if (!got) {
        // What reached the cache came from the server and stays valid: keep it.
        engine.finish_cache(cached.get(), true, from);
        Failure f = failure("download of " + from + " to '" + local.display + "' failed", got.error());
        if (!(*reader)->failure().empty()) f.message = "download of " + from + " failed: " + (*reader)->failure();
        add_refusal_hint(f.message, got.error());
        return tl::unexpected(out->abandon(std::move(f), true, engine));
    }
    LocalPartial::Finish fin;
    fin.size = *got;
    fin.mode = target_mode(attr.mode, options_.preserve);
    if (options_.preserve) {
        fin.mtime = fin.atime = timespec{static_cast<time_t>(attr.mtime_sec), 0};
    }
    fin.fsync = options_.fsync;
    auto done = out->commit(fin);
    engine.finish_cache(cached.get(), true, from);
    if (!done) return tl::unexpected(done.error());
    return *got - out->from();  // this run's bytes
}

void AfsRemote::add_write_stats(const afs::netfs::AfsWriteStats& s) {
    writes_.stores += s.stores;
    writes_.stored += s.stored;
    writes_.bytes += s.bytes;
    writes_.refused += s.refused;
    writes_.key_switches += s.key_switches;
    writes_.keys_exhausted += s.keys_exhausted;
    writes_.busy += s.busy;
    writes_.congestion += s.congestion;
    writes_.retries += s.retries;
    writes_.failed += s.failed;
    for (size_t k = 0; k < s.keys.size() && k < per_key_.size(); ++k) {
        per_key_[k].stores += s.keys[k].stores;
        per_key_[k].bytes += s.keys[k].bytes;
        per_key_[k].refused += s.keys[k].refused;
    }
}

void AfsRemote::add_read_stats(const afs::netfs::AfsReadStats& s) {
    reads_.fetches += s.fetches;
    reads_.bytes += s.bytes;
    reads_.refused += s.refused;
    reads_.key_switches += s.key_switches;
    reads_.failed += s.failed;
}

std::string AfsRemote::stats_text() const {
    // key=value, so that scripts (and our tests) can check what AFS answered.
    std::lock_guard lock(renew_mu_);
    std::ostringstream os;
    os << "afs: stores=" << writes_.stores << " stored=" << writes_.stored << " store_bytes=" << writes_.bytes
       << " refused=" << writes_.refused << " key_switches=" << writes_.key_switches
       << " key_renewals=" << key_renewals_
       << " keys_exhausted=" << writes_.keys_exhausted << " busy=" << writes_.busy
       << " congestion=" << writes_.congestion << " fetches=" << reads_.fetches << " fetch_bytes=" << reads_.bytes
       << " fetch_refused=" << reads_.refused << " lookup_refused=" << op_refused_ << "\n";
    for (size_t k = 0; k < per_key_.size(); ++k)
        os << "afs key " << k + 1 << " (" << afs::client::describe(setup_.keys[k]) << "): stores=" << per_key_[k].stores
           << " bytes=" << per_key_[k].bytes << " refused=" << per_key_[k].refused << "\n";
    return os.str();
}

}  // namespace netcp
