#include "resume.hpp"

#include <limits.h>
#include <stdlib.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <future>

#include "content_digest.hpp"
#include "exit_codes.hpp"
#include "remote.hpp"

namespace netcp {

namespace {

std::string absolute(const std::string& path) {
    char buf[PATH_MAX];
    if (::realpath(path.c_str(), buf)) return buf;
    if (!path.empty() && path[0] == '/') return path;
    char cwd[PATH_MAX];
    return ::getcwd(cwd, sizeof cwd) ? std::string(cwd) + "/" + path : path;
}

uint64_t ns(const timespec& t) { return uint64_t(t.tv_sec) * 1'000'000'000ull + uint64_t(t.tv_nsec); }

}  // namespace

UploadJournal open_upload_journal(const std::string& destination, nlohmann::json transfer, const std::string& local,
                                  const struct stat& st, bool may_resume) {
    UploadJournal u;
    if (uint64_t(st.st_size) < min_resumable_size) return u;
    const std::string source = absolute(local);
    // One journal per destination and source, named by the exact bytes of both.
    const std::string key = sha256_hex(destination + '\0' + source);
    if (key.empty()) return u;
    transfer["exact"] = key;
    transfer["source"] = {{"path", source},          {"dev", uint64_t(st.st_dev)},  {"ino", uint64_t(st.st_ino)},
                          {"size", uint64_t(st.st_size)}, {"mtime_ns", ns(st.st_mtim)}, {"ctime_ns", ns(st.st_ctim)}};
    u.record.transfer = journal_form(transfer);
    auto j = ResumeJournal::open_in(upload_journal_dir(), key + ".resume");
    if (!j) {
        u.no_journal = j.error() == std::errc::operation_would_block
                           ? "another netcp is copying it: not resumable"
                           : "cannot keep resume journals in " + upload_journal_dir() + ": " + j.error().message();
        return u;
    }
    u.earlier = j->read();
    u.may_take_up = may_resume && u.earlier && u.earlier->transfer == u.record.transfer;
    u.journal.emplace(std::move(*j));
    return u;
}

void begin_upload_journal(UploadJournal& u, Engine& engine, const std::string& dest, bool may_resume,
                          const std::string& partial, uint64_t id, uint64_t from, uint64_t size) {
    if (!u.journal) return;
    if (!may_resume) {
        u.journal->remove();
        u.journal.reset();
        return;
    }
    JournalRecord record = u.record;
    record.partial = partial;
    record.partial_id = id;
    record.prefix = from;
    if (auto ec = u.journal->begin(record, size)) {
        engine.warn(dest + ": cannot record the upload for resuming: " + ec.message());
        u.journal->remove();
        u.journal.reset();
    }
}

RangeReader file_reader(int fd) {
    return [fd](uint64_t pos, std::span<std::byte> dst) -> tl::expected<size_t, std::error_code> {
        for (;;) {
            const ssize_t n = ::pread(fd, dst.data(), dst.size(), static_cast<off_t>(pos));
            if (n < 0 && errno == EINTR) continue;
            if (n < 0) return tl::unexpected(std::error_code(errno, std::generic_category()));
            return static_cast<size_t>(n);
        }
    };
}

uint64_t upload_resume_point(uint64_t held, uint64_t size) {
    return std::min(held, size) / upload_folio_size * upload_folio_size;
}

std::string not_resuming(const std::string& why) { return "not resuming (" + why + "): starting over"; }

bool worth_resuming(const Failure& f) {
    return f.exit_code == exit_interrupted || f.exit_code == exit_timeout || f.exit_code == exit_connection;
}

std::string kept_for_resume_note(const std::string& what) {
    return "; " + what + " is kept: the same command continues it (--no-resume starts over)";
}

void warn_resume(Engine& engine, const std::string& what, const std::string& note, const std::string& no_journal) {
    if (!note.empty()) engine.warn(what + ": " + note);
    static std::atomic<bool> said{false};
    if (!no_journal.empty() && !said.exchange(true)) engine.warn(what + ": " + no_journal);
}

RangeReader blocking_reader(netfs::ReadBackend& backend) {
    return [&backend](uint64_t pos, std::span<std::byte> dst) -> tl::expected<size_t, std::error_code> {
        std::promise<std::pair<std::error_code, size_t>> done;
        auto result = done.get_future();
        backend.read(pos, dst.first(std::min<uint64_t>(dst.size(), backend.max_read())),
                     [&done](std::error_code ec, size_t n) { done.set_value({ec, n}); });
        const auto [ec, n] = result.get();
        if (ec) return tl::unexpected(ec);
        return n;
    };
}

tl::expected<DownloadTarget, Failure> DownloadTarget::open(Engine& engine, const Options& options,
                                                           const std::string& from, nlohmann::json transfer,
                                                           uint64_t size, const RangeReader& theirs,
                                                           const LocalTarget& local) {
    DownloadTarget t;
    t.display_ = local.display;
    std::string note, no_journal;
    std::optional<ResumeJournal> journal;
    if (local.resumable && size >= min_resumable_size) {
        transfer["target"] = local.name;
        transfer = journal_form(transfer);
        auto j = ResumeJournal::open(local.dir_fd, download_journal_name(local.name));
        if (j) journal.emplace(std::move(*j));
        else
            no_journal = j.error() == std::errc::operation_would_block
                             ? "another netcp is copying it: not resumable"
                             : "cannot keep a resume journal beside '" + local.display + "': " + j.error().message();
    }
    const auto earlier = journal ? journal->read() : std::nullopt;
    if (earlier && options.resume && earlier->transfer == transfer) {
        auto take_up = [&]() -> std::string {
            const uint64_t at = std::min(earlier->prefix, size);
            if (at == 0) return "nothing was written yet";
            auto out = LocalPartial::adopt(local, earlier->partial, at);
            if (!out) return "the partial file: " + out.error().message();
            auto same = boundary_matches(at, file_reader(out->fd()), theirs);
            if (!same) return "cannot check it: " + same.error().message();
            if (!*same) return "the partial file differs from the server's before byte " + std::to_string(at);
            t.out_.emplace(std::move(*out));
            t.from_ = at;
            return {};
        };
        note = take_up();
        if (!note.empty()) note = not_resuming(note);
    }
    // The journal's name is this target's, so an earlier partial file it names (if it is
    // one this target would have had) is this copy's leftover.
    if (earlier && !t.out_ && is_partial_name(earlier->partial, local.name))
        ::unlinkat(local.dir_fd, earlier->partial.c_str(), 0);
    warn_resume(engine, from, note, no_journal);
    if (journal && !options.resume) {
        journal->remove();
        journal.reset();
    }
    if (!t.out_) {
        auto created = LocalPartial::create(local);
        if (!created) {
            if (journal) journal->remove();
            return tl::unexpected(created.error());
        }
        t.out_.emplace(std::move(*created));
    }
    if (journal) {
        JournalRecord record;
        record.transfer = std::move(transfer);
        record.partial = t.out_->name();
        record.prefix = t.from_;
        if (auto ec = journal->begin(record, size)) {
            engine.warn(from + ": cannot record the download for resuming: " + ec.message());
            journal->remove();
        } else {
            t.journal_.emplace(std::move(*journal));
        }
    }
    if (t.from_ > 0 && engine.reporter()) engine.reporter()->file_resumed(t.from_);
    return t;
}

ResumePoint DownloadTarget::resume_point() {
    ResumePoint p;
    p.from = from_;
    if (journal_) p.stored = [j = &*journal_](uint64_t pos, uint64_t len) { j->stored(pos, len); };
    return p;
}

Failure DownloadTarget::abandon(Failure f, bool may_keep, Engine& engine) {
    if (journal_ && may_keep && worth_resuming(f)) {
        // Stopped, or the server went away: what was written is worth keeping.
        f.message += kept_for_resume_note("the partial download '" + display_ + "'");
        if (engine.reporter()) engine.reporter()->partial_kept();
        out_->keep();
    } else {
        out_->abandon();
        if (journal_) journal_->remove();
    }
    return f;
}

tl::expected<void, Failure> DownloadTarget::commit(const LocalPartial::Finish& finish) {
    auto done = out_->commit(finish);  // on failure it removed the partial file
    if (journal_) journal_->remove();
    return done;
}

}  // namespace netcp
