#include "resume.hpp"

#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <future>

#include "exit_codes.hpp"
#include "remote.hpp"

namespace netcp {

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
    if (local.resumable) {
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
        if (!note.empty()) note = "not resuming (" + note + "): starting over";
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
        if (auto ec = journal->begin(record)) {
            engine.warn(from + ": cannot record the download for resuming: " + ec.message());
            journal->remove();
            journal.reset();
        } else {
            journal->set_end(size);
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
