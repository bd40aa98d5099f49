#include "transfer.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>
#include <thread>

#include "exit_codes.hpp"
#include "local_io.hpp"
#include "local_partial.hpp"
#include "netfs/cache/extent_map.hpp"
#include "netfs/error.hpp"
#include "progress.hpp"
#include "resume_9p.hpp"

namespace netcp {

namespace {

std::error_code last_errno() { return {errno, std::generic_category()}; }

// Closes a file descriptor on scope exit.
struct FdGuard {
    int fd = -1;
    ~FdGuard() {
        if (fd >= 0) ::close(fd);
    }
};

// New connections one file may make after losing its connection, before it gives up.
constexpr unsigned max_reconnects = 3;

bool is_timeout(std::error_code ec) { return ec == p9::errc::timed_out || ec == std::errc::timed_out; }

}  // namespace

bool connection_lost(std::error_code ec, bool still_connected) {
    if (is_timeout(ec) || ec == std::errc::interrupted) return false;
    return ec == p9::errc::connection_closed || ec == p9::errc::not_connected || ec == p9::errc::protocol_violation ||
           ec == std::errc::connection_reset || ec == std::errc::connection_aborted || ec == std::errc::broken_pipe ||
           ec == std::errc::not_connected || !still_connected;
}

// The same, for the current connection (in namespace netcp so that it overloads the above).
static bool connection_lost(std::error_code ec, const RemoteFs& remote) {
    return connection_lost(ec, remote.connected());
}

namespace {


// One file's budget of reconnections, shared by every phase of its transfer (data, then
// the closing requests), so that a connection that keeps dropping ends the copy.
class Reconnector {
public:
    explicit Reconnector(RemoteFs& remote) : remote_(remote) {}

    // Makes a new connection after a short backoff (100, 200, 400 ms: a dropped
    // connection usually comes back at once, a restarting server gets a moment), trying
    // until one works; false once the attempts are spent or a signal asked to stop.
    bool reconnect() {
        while (attempts_ < max_reconnects) {
            const auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(100u << attempts_);
            while (std::chrono::steady_clock::now() < until) {
                if (interrupted()) {
                    last_ = std::make_error_code(std::errc::interrupted);
                    return false;
                }
                std::this_thread::sleep_for(std::chrono::milliseconds(10));
            }
            ++attempts_;
            last_ = remote_.reconnect();
            if (!last_) return true;
        }
        gave_up_ = true;
        return false;
    }

    bool stopped() const { return last_ == std::errc::interrupted; }

    // The failure of a transfer whose cause was `cause`: with the attempts made, and as a
    // connection failure (exit 4) once it gave up on reconnecting.
    Failure failure(const std::string& what, std::error_code cause) const {
        if (stopped()) return netcp::failure(what, last_);
        Failure f = netcp::failure(what, cause);
        const std::string n = std::to_string(attempts_) + " reconnection attempt" + (attempts_ == 1 ? "" : "s");
        if (gave_up_) {
            f.exit_code = exit_connection;
            f.message += " (gave up after " + n + (last_ ? "; the last one: " + last_.message() : "") + ")";
        } else if (attempts_ > 0) {
            f.message += " (after " + n + ")";
        }
        return f;
    }

private:
    RemoteFs& remote_;
    unsigned attempts_ = 0;
    bool gave_up_ = false;
    std::error_code last_;
};

// The upload stream: lib9p's adapter, except that a request that timed out on a dead
// connection fails instead of reopening (a server that does not answer is a timeout,
// exit 7; reconnecting to it would only wait longer).
class UploadStream final : public netfs::StreamBackend {
public:
    explicit UploadStream(p9::NetfsWriteBackend& inner) : inner_(inner) {}
    netfs::StreamKind kind() const override { return inner_.kind(); }
    const char* name() const override { return inner_.name(); }
    std::error_code begin_request(netfs::WriteRequest& req, uint8_t stream) override {
        return inner_.begin_request(req, stream);
    }
    std::error_code prepare_write(netfs::Subrequest& sreq, netfs::Limits& limits) override {
        return inner_.prepare_write(sreq, limits);
    }
    void issue_write(netfs::Subrequest& sreq) override { inner_.issue_write(sreq); }
    netfs::RetryDecision retry_request(netfs::WriteRequest& req, uint8_t stream, std::error_code cause) override {
        if (is_timeout(cause)) {
            const auto h = inner_.handle();
            if (!h.client || !h.client->connected()) return netfs::RetryDecision::fail;
        }
        return inner_.retry_request(req, stream, cause);
    }
    void end_request(netfs::WriteRequest& req, uint8_t stream, std::error_code error) override {
        inner_.end_request(req, stream, error);
    }

private:
    p9::NetfsWriteBackend& inner_;
};

// What an upload's reopen callback shares with it. The callback runs on a netfs collector
// thread while the uploading thread waits in the engine, which does not touch `remote`
// meanwhile; the mutex orders concurrent callbacks (several requests can lose the same
// connection).
struct UploadReopen {
    UploadReopen(RemoteFs& r, Reconnector& c, std::string path, p9::NetfsWriteBackend::Handle h)
        : remote(r), rc(c), tmp_path(std::move(path)), current(std::move(h)) {}
    RemoteFs& remote;
    Reconnector& rc;
    std::string tmp_path;
    std::mutex mu;
    p9::NetfsWriteBackend::Handle current;  // the handle last given to the backend
    p9::Fid reopened;                      // the partial file, open on the newest connection

    p9::result<p9::NetfsWriteBackend::Handle> operator()() {
        std::lock_guard lock(mu);
        // Another request already reopened the file on a connection that still works.
        if (current.client && current.client->connected()) return current;
        while (rc.reconnect()) {
            std::error_code ec;
            if (auto f = remote.walk(tmp_path); !f) ec = f.error();
            else if (auto o = remote.client().open(*f, p9::open_flags::wronly); !o) ec = o.error();
            else {
                reopened = std::move(*f);
                current = {remote.client().client(), reopened.number()};
                return current;
            }
            if (!connection_lost(ec, remote)) return p9::fail(ec);  // e.g. the partial is gone
        }
        return p9::fail(make_error_code(p9::errc::not_connected));
    }
};

// The 9P read side of a --cache download, reconnecting under netfs: a read that fails
// because the connection was lost is queued; a worker thread makes a new connection
// (once per lost connection), opens the file again by name and sends the queued reads
// there, so netfs sees them succeed and the download goes on from where it was. Once the
// reconnections are spent, every read fails with the original cause.
class ReconnectingReader final : public netfs::ReadBackend {
public:
    ReconnectingReader(RemoteFs& remote, std::string path, Reconnector& rc, p9::Fid& file)
        : remote_(remote), path_(std::move(path)), rc_(rc), file_(file),
          handle_{remote.client().client(), file.number()}, max_read_(remote.client().max_io()) {}
    ~ReconnectingReader() override {
        {
            std::lock_guard lock(mu_);
            stop_ = true;
        }
        cv_.notify_all();
        if (worker_.joinable()) worker_.join();
    }

    uint64_t max_read() const override { return max_read_; }
    void read(uint64_t pos, std::span<std::byte> dst, std::function<void(std::error_code, size_t)> done) override {
        issue(Task{pos, dst, std::move(done), 0, {}});
    }

private:
    struct Task {
        uint64_t pos;
        std::span<std::byte> dst;
        std::function<void(std::error_code, size_t)> done;
        uint64_t generation;  // the connection it was sent on
        std::error_code cause;
    };

    void issue(Task t) {
        p9::NetfsWriteBackend::Handle h;
        std::error_code dead;
        {
            std::lock_guard lock(mu_);
            h = handle_;
            t.generation = generation_;
            dead = dead_;
        }
        if (dead) return t.done(dead, 0);
        auto client = h.client;
        client->async_read(h.fid, t.pos, t.dst, [this, client, t = std::move(t)](std::error_code ec, size_t n) mutable {
            if (ec && connection_lost(ec, client->connected())) {
                t.cause = ec;
                enqueue(std::move(t));  // never block the client's I/O thread
                return;
            }
            t.done(ec, n);
        });
    }

    void enqueue(Task t) {
        {
            std::lock_guard lock(mu_);
            queue_.push_back(std::move(t));
            if (!worker_.joinable()) worker_ = std::thread([this] { work(); });
        }
        cv_.notify_one();
    }

    void work() {
        std::unique_lock lock(mu_);
        for (;;) {
            cv_.wait(lock, [&] { return stop_ || !queue_.empty(); });
            if (queue_.empty()) return;
            Task t = std::move(queue_.front());
            queue_.pop_front();
            if (!dead_ && t.generation == generation_) {
                // The first read lost with this connection: make the next one.
                lock.unlock();
                const std::error_code ec = reopen(t.cause);
                lock.lock();
                if (ec) dead_ = ec;
                else {
                    ++generation_;
                    handle_ = {remote_.client().client(), file_.number()};
                }
            }
            lock.unlock();
            issue(std::move(t));
            lock.lock();
        }
    }

    std::error_code reopen(std::error_code cause) {
        while (rc_.reconnect()) {
            std::error_code ec;
            if (auto f = remote_.walk(path_); !f) ec = f.error();
            else if (auto o = remote_.client().open(*f, p9::open_flags::rdonly); !o) ec = o.error();
            else {
                file_ = std::move(*f);
                return {};
            }
            if (!connection_lost(ec, remote_)) return ec;
        }
        return rc_.stopped() ? std::make_error_code(std::errc::interrupted) : cause;
    }

    RemoteFs& remote_;
    const std::string path_;
    Reconnector& rc_;
    p9::Fid& file_;  // the open file, replaced on each new connection
    std::mutex mu_;
    std::condition_variable cv_;
    p9::NetfsWriteBackend::Handle handle_;
    uint64_t generation_ = 0;
    std::error_code dead_;
    std::deque<Task> queue_;
    bool stop_ = false;
    std::thread worker_;
    const uint64_t max_read_;
};

// What must not change while a file is downloaded for the copy to be that file.
std::string attribute_change(const p9::Rgetattr& before, const p9::Rgetattr& now) {
    if (now.qid.path != before.qid.path) return "it was replaced by another file";
    if (now.size != before.size)
        return "its size went from " + std::to_string(before.size) + " to " + std::to_string(now.size) + " bytes";
    if (now.mtime_sec != before.mtime_sec || now.mtime_nsec != before.mtime_nsec) return "its mtime changed";
    if (now.qid.version != before.qid.version || now.data_version != before.data_version) return "its version changed";
    return {};
}

}  // namespace

tl::expected<uint64_t, Failure> upload_file(RemoteFs& remote, Engine& engine, const Options& options,
                                            const std::string& local, const struct stat& st,
                                            const std::string& remote_path, int source_fd) {
    // Clients replaced by the previous file's reconnections: nothing holds them any more.
    remote.release_retired();
    const std::string dest = remote.url(remote_path);
    FdGuard src{open_upload_source(local, source_fd, options.dereference)};
    if (src.fd < 0) return tl::unexpected(failure("cannot open '" + local + "'", last_errno()));

    auto [parent, name] = split_parent(remote_path);
    Reconnector rc(remote);
    const uint64_t size = static_cast<uint64_t>(st.st_size);
    // An interrupted run of this same upload may have left a partial file to continue.
    UploadResume resume = find_upload_resume(remote, options, local, src.fd, st, remote_path, source_fd >= 0);
    warn_resume(engine, dest, resume.note, resume.journal.no_journal);
    std::optional<p9::Fid> file;
    std::string tmp;
    std::optional<p9::Qid> partial_qid;
    uint64_t from = 0;
    if (resume.file) {
        file = std::move(resume.file);
        tmp = resume.partial;
        partial_qid = resume.qid;
        from = resume.from;
    }
    // Otherwise create the temporary file, on a new connection if the one in use drops
    // meanwhile. A create whose answer the drop lost may have been done: that name is
    // removed once a new connection is up, and the next attempt uses a new name.
    for (std::string orphan; !file;) {
        std::error_code ec;
        std::string what = "cannot upload to " + dest;
        auto dir = remote.directory(parent);
        if (dir && !orphan.empty()) {
            (void)remote.client().unlinkat(**dir, orphan, 0);
            orphan.clear();
        }
        if (!dir) {
            ec = dir.error();
        } else if (auto f = remote.client().walk(**dir, ""); !f) {
            ec = f.error();
        } else {
            tmp = partial_name(name);
            auto created = remote.client().create(*f, tmp, p9::open_flags::wronly | p9::open_flags::create |
                                                               p9::open_flags::excl, 0600, remote.gid());
            if (created) {
                file = std::move(*f);
                partial_qid = created->qid;
                break;
            }
            ec = created.error();
            what = "cannot upload '" + local + "' to " + dest + " (creating " + tmp + ")";
            orphan = tmp;
        }
        if (!connection_lost(ec, remote) || !rc.reconnect()) return tl::unexpected(rc.failure(what, ec));
    }
    const std::string tmp_path = parent.empty() ? tmp : parent + "/" + tmp;
    begin_upload_journal(resume.journal, engine, dest, resume.may_resume, tmp, partial_qid->path, from, size);
    ResumeJournal* journal = resume.journal.journal ? &*resume.journal.journal : nullptr;
    if (from > 0 && engine.reporter()) engine.reporter()->file_resumed(from);

    // The cache entry is the new file's (its qid survives the rename). Direct writes
    // bypass the cache stream, so they leave nothing to cache.
    std::shared_ptr<netfs::cache::Object> cached;
    if (options.write_mode == Options::WriteMode::buffered || options.write_mode == Options::WriteMode::write_through)
        cached = engine.cache_object(cache_key(remote.endpoint(), options.aname, *partial_qid), {}, dest);

    // From here on, any failure removes the temporary file, by name, on the current
    // connection or, if that one is gone, on a new one; if none can be made, the message
    // names the partial file left on the server.
    auto abandon = [&](Failure f) {
        *file = p9::Fid{};
        if (journal && worth_resuming(f)) {
            // Stopped, or the server went away: what it acknowledged is worth keeping.
            f.message += kept_for_resume_note("the partial upload " + remote.url(tmp_path));
            if (engine.reporter()) engine.reporter()->partial_kept();
            engine.finish_cache(cached.get(), false, dest);
            return tl::unexpected(f);
        }
        std::error_code ec;
        if (!remote.connected()) ec = remote.reconnect();
        if (!ec) {
            auto d = remote.directory(parent);
            ec = d ? remote.client().unlinkat(**d, tmp, 0) : d.error();
        }
        if (ec && ec != std::errc::no_such_file_or_directory)
            f.message += "; the partial file " + remote.url(tmp_path) + " is left on the server (" + ec.message() + ")";
        // A partial file that could not be removed stays in the journal: the next run
        // removes it (or continues it).
        else if (journal) journal->remove();
        engine.finish_cache(cached.get(), false, dest);
        return tl::unexpected(f);
    };

    std::error_code ec;
    if (options.write_mode == Options::WriteMode::raw_pipeline) {
        // The baseline pipeline does not reconnect: a lost connection fails the copy.
        std::atomic<uint64_t>* progress = engine.progress() ? engine.progress()->counter() : nullptr;
        auto written = remote.client().write_from(*file, 0, size, [&](uint64_t pos, std::span<std::byte> buf) -> p9::result<size_t> {
            if (interrupted()) return p9::fail(std::make_error_code(std::errc::interrupted));
            for (;;) {
                ssize_t n = ::pread(src.fd, buf.data(), buf.size(), static_cast<off_t>(pos));
                if (n < 0 && errno == EINTR) continue;
                if (n < 0) return p9::fail(last_errno());
                if (n == 0) return p9::fail(std::make_error_code(std::errc::io_error));  // the file shrank
                if (progress) progress->fetch_add(static_cast<uint64_t>(n), std::memory_order_relaxed);
                return static_cast<size_t>(n);
            }
        }, options.depth);
        if (!written) ec = written.error();
        else if (*written != size) ec = p9::errc::short_transfer;
    } else {
        auto& c = remote.client();
        const p9::NetfsWriteBackend::Handle first{c.client(), file->number()};
        // After a lost connection the retryer calls `reopen`, which reconnects, opens the
        // partial file again by name, and the failed writes are sent again there (a Twrite
        // is idempotent). The backend's own cap is generous: `rc` is the real budget, and
        // requests that lose the same connection each count with the backend.
        UploadReopen reopen(remote, rc, tmp_path, first);
        p9::NetfsWriteBackend::Options bo;
        bo.credits = options.depth;
        bo.max_reconnects = max_reconnects * 64;
        p9::NetfsWriteBackend backend(first, bo, [&reopen] { return reopen(); });
        UploadStream stream(backend);
        // Enough bytes in flight to keep `depth` Twrites going.
        // What every stream acknowledged goes into the journal as it is collected.
        ResumePoint point;
        point.from = from;
        if (journal) point.stored = [journal](uint64_t pos, uint64_t len) { journal->stored(pos, len); };
        ec = engine.upload(src.fd, size, stream, uint64_t(options.depth) * c.max_io(), cached.get(), &interrupted,
                           point);
        // The rest goes over the newest connection, on the file opened there.
        if (reopen.reopened) *file = std::move(reopen.reopened);
    }
    if (ec == std::errc::io_error)
        return abandon(failure("'" + local + "' changed size while it was being uploaded to " + dest, ec));
    if (ec) return abandon(rc.failure("upload of '" + local + "' to " + dest + " failed", ec));

    p9::Tsetattr attrs;
    attrs.valid = p9::setattr::mode;
    attrs.mode = target_mode(st.st_mode, options.preserve);
    if (options.preserve) {
        attrs.valid |= p9::setattr::mtime | p9::setattr::mtime_set | p9::setattr::atime | p9::setattr::atime_set;
        attrs.mtime_sec = static_cast<uint64_t>(st.st_mtim.tv_sec);
        attrs.mtime_nsec = static_cast<uint64_t>(st.st_mtim.tv_nsec);
        attrs.atime_sec = static_cast<uint64_t>(st.st_atim.tv_sec);
        attrs.atime_nsec = static_cast<uint64_t>(st.st_atim.tv_nsec);
    }
    // Flush, mode, close, rename: each is safe to do again, so a connection lost here is
    // reconnected too and the steps done again on the partial file opened anew (the
    // server acknowledged every byte, so it holds them whatever happened to the connection).
    bool renamed = false;
    for (;;) {
        std::string what;
        auto& c = remote.client();
        auto d = remote.directory(parent);
        if (!d) {
            ec = d.error();
            what = "cannot upload to " + dest;
        } else if (options.fsync && (ec = c.fsync(*file))) {
            what = "cannot flush " + dest + " on the server";
        } else if ((ec = c.setattr(*file, attrs))) {
            what = "cannot set the mode of " + dest;
        } else {
            if (cached) {
                // The entry now describes the file as the server holds it (rename keeps size,
                // mtime and versions), so the next download of it is served from the cache.
                auto now = c.getattr(*file);
                if (now) cached->set_coherency(cache_coherency(*now));
                else cached->invalidate();
            }
            // Rename by name after the clunk: diod 1.0.24 dies on an assertion when an open
            // fid is renamed (ioctx.c:380), and the clunk's answer is the server's last word
            // on the data.
            if ((ec = c.clunk(*file))) what = "upload of '" + local + "' to " + dest + " failed at close";
            else if ((ec = c.renameat(**d, tmp, **d, name))) what = "cannot rename the upload into place at " + dest;
            else break;
        }
        if (!connection_lost(ec, remote)) return abandon(rc.failure(what, ec));
        // Open the partial file again on a new connection; if it is gone, the rename may
        // have been done before the connection dropped: the destination is then our file.
        for (;;) {
            if (!rc.reconnect()) return abandon(rc.failure(what, ec));
            auto f = remote.walk(tmp_path);
            if (f) {
                auto o = remote.client().open(*f, p9::open_flags::wronly);
                if (o) {
                    *file = std::move(*f);
                    break;
                }
                ec = o.error();
            } else if (f.error() == std::errc::no_such_file_or_directory) {
                auto done = remote.walk(remote_path);
                if (done && done->qid().path == partial_qid->path) {
                    renamed = true;
                    break;
                }
                ec = done ? f.error() : done.error();
            } else {
                ec = f.error();
            }
            if (!connection_lost(ec, remote)) return abandon(rc.failure(what, ec));
        }
        if (renamed) break;
    }
    engine.finish_cache(cached.get(), true, dest);
    if (journal) journal->remove();
    return size - from;  // this run's bytes
}

tl::expected<uint64_t, Failure> download_file(RemoteFs& remote, Engine& engine, const Options& options,
                                              const std::string& remote_path, const p9::Rgetattr& attr,
                                              const LocalTarget& local) {
    remote.release_retired();
    const std::string from = remote.url(remote_path);
    p9::Fid file;
    // Opens the file on the current connection (again after a reconnection).
    auto open_file = [&]() -> std::error_code {
        auto f = remote.walk(remote_path);
        if (!f) return f.error();
        if (auto o = remote.client().open(*f, p9::open_flags::rdonly); !o) return o.error();
        file = std::move(*f);
        return {};
    };
    Reconnector rc(remote);
    // Opens the file, reconnecting while what fails is the connection (the first time too).
    auto reopen = [&]() -> std::error_code {
        for (;;) {
            const std::error_code ec = open_file();
            if (!ec || !connection_lost(ec, remote) || !rc.reconnect()) return ec;
        }
    };
    if (auto ec = reopen()) return tl::unexpected(rc.failure("cannot open " + from, ec));

    // A new partial file, or the one an interrupted run of this same download left.
    auto out = DownloadTarget::open(engine, options, from, ninep_download_transfer(remote, options, remote_path, attr),
                                    attr.size, ninep_reader(remote.client(), file), local);
    if (!out) return tl::unexpected(out.error());
    const uint64_t start = out->from();

    std::shared_ptr<netfs::cache::Object> cached;
    if (!options.cache_dir.empty())
        cached = engine.cache_object(cache_key(remote.endpoint(), options.aname, attr.qid), cache_coherency(attr), from);
    // What reached the cache came from the server and stays valid, so a retried download
    // reads only the rest; but not when the file changed: then it may be a mix.
    // (The partial file is kept for a resume only when the file did not change.)
    auto abandon = [&](Failure f, bool keep_cache = true) {
        f = out->abandon(std::move(f), keep_cache, engine);
        engine.finish_cache(cached.get(), keep_cache, from);
        return tl::unexpected(f);
    };

    tl::expected<uint64_t, std::error_code> got;
    // Through netfs-core with --cache, and with --bwlimit (its read path keeps the limit).
    if (!options.cache_dir.empty() || options.bwlimit > 0) {
        ReconnectingReader reader(remote, remote_path, rc, file);
        got = engine.download(reader, attr.size, cached.get(), out->fd(), &interrupted, out->resume_point());
    } else {
        // Pieces arrive in any order: after a lost connection, reading starts again at the
        // lowest byte not yet written (what lies beyond is read and written again).
        netfs::cache::ExtentMap received;  // what was written, in any order
        received.add(0, start);
        std::atomic<uint64_t>* progress = engine.progress() ? engine.progress()->counter() : nullptr;
        const auto sink = [&](uint64_t pos, std::span<const std::byte> data) -> std::error_code {
            if (interrupted()) return std::make_error_code(std::errc::interrupted);
            if (auto ec = write_fully(out->fd(), pos, data)) return ec;
            received.add(pos, data.size());
            out->stored(pos, data.size());
            if (progress) progress->fetch_add(data.size(), std::memory_order_relaxed);
            return {};
        };
        for (uint64_t at = start;;) {
            auto r = remote.client().read_into(file, at, sink, options.depth, attr.size > at ? attr.size - at : 0);
            if (r) {
                got = at + *r;
                break;
            }
            std::error_code ec = r.error();
            if (connection_lost(ec, remote) && rc.reconnect()) ec = reopen();
            if (ec) {
                got = tl::unexpected(ec);
                break;
            }
            at = received.prefix();
        }
    }
    if (!got && got.error() == netfs::errc::remote_changed)
        return abandon(changed_during_download(from, "it ended before its size"), false);
    if (!got) return abandon(rc.failure("download of " + from + " to '" + local.display + "' failed", got.error()));

    // Exactly the file or an error: the attributes seen at the start must still hold,
    // and the bytes must be as many as its size.
    tl::expected<p9::Rgetattr, std::error_code> now;
    for (;;) {
        now = remote.client().getattr(file, p9::getattr::basic);
        if (now) break;
        std::error_code ec = now.error();
        if (connection_lost(ec, remote) && rc.reconnect()) ec = reopen();
        if (ec) return abandon(rc.failure("cannot check " + from + " after the download", ec));
    }
    if (auto why = attribute_change(attr, *now); !why.empty()) return abandon(changed_during_download(from, why), false);
    if (*got < attr.size)
        return abandon(changed_during_download(from, "the server ended it after " + std::to_string(*got) + " of " +
                                                 std::to_string(attr.size) + " bytes"),
                       false);
    if (*got > attr.size)
        return abandon(changed_during_download(from, "the server sent " + std::to_string(*got) + " bytes of a file of " +
                                                 std::to_string(attr.size)),
                       false);

    LocalPartial::Finish fin;
    fin.size = *got;
    fin.mode = target_mode(attr.mode, options.preserve);
    if (options.preserve) {
        fin.atime = timespec{static_cast<time_t>(attr.atime_sec), static_cast<long>(attr.atime_nsec)};
        fin.mtime = timespec{static_cast<time_t>(attr.mtime_sec), static_cast<long>(attr.mtime_nsec)};
    }
    fin.fsync = options.fsync;
    if (auto done = out->commit(fin); !done) {
        engine.finish_cache(cached.get(), true, from);
        return tl::unexpected(done.error());
    }
    engine.finish_cache(cached.get(), true, from);
    return *got - start;  // this run's bytes
}

}  // namespace netcp
