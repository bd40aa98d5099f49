// Resuming interrupted copies, the part every protocol shares: which failures keep a
// partial file, and a download's local side (its journal beside the partial file, taking
// up an earlier run's partial file once the bytes before the resume point agree with the
// server's, or starting a new one). The protocol says what identifies the transfer and
// how to read the server's bytes; resume_9p.hpp holds the 9P upload side.
#pragma once

#include <sys/stat.h>

#include <cstdint>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>
#include <tl/expected.hpp>

#include "engine.hpp"
#include "local_partial.hpp"
#include "netfs/read.hpp"
#include "options.hpp"
#include "report.hpp"
#include "resume_journal.hpp"

namespace netcp {

// Failures after which a partial file is worth keeping for the next run: the copy was
// stopped (a signal), or the server went away (timeout, lost connection). Anything else
// (the source changed, the server refused the data) starts over next time.
bool worth_resuming(const Failure& f);
// What a kept partial file adds to the failure's message.
std::string kept_for_resume_note(const std::string& what);
// What finding an earlier run's leftovers had to say: why one was not taken up (each
// time), why no journal can be kept (once a run: it is the same for every file).
void warn_resume(Engine& engine, const std::string& what, const std::string& note, const std::string& no_journal);

// Where an upload whose other side holds `held` bytes (by its journal) continues: on a
// folio boundary, at most the source's `size`.
uint64_t upload_resume_point(uint64_t held, uint64_t size);
// The warning for an earlier partial file not taken up, saying `why`.
std::string not_resuming(const std::string& why);

// A reader of local file `fd`, and a blocking reader of what `backend` reads (for the
// boundary check).
RangeReader file_reader(int fd);
RangeReader blocking_reader(netfs::ReadBackend& backend);

// An upload's journal, in the user's state directory (the source is local), and what an
// earlier run of the same upload left in it.
struct UploadJournal {
    std::optional<ResumeJournal> journal;  // none: nothing is recorded (see no_journal)
    JournalRecord record;                  // this run's transfer; partial, id and prefix come later
    std::optional<JournalRecord> earlier;  // the last run's record, whatever changed since
    bool may_take_up = false;              // it is this same transfer, and resuming is allowed
    std::string no_journal;                // why no journal can be kept
};
// `destination` names where the upload goes, exactly (protocol, server, export, path);
// `transfer` says what else identifies it; the local source's identity is added. With
// `may_resume` false (--no-resume) the journal is only read, for the caller to remove an
// earlier partial file, and then removed by finish_lookup().
UploadJournal open_upload_journal(const std::string& destination, nlohmann::json transfer, const std::string& local,
                                  const struct stat& st, bool may_resume);
// After the caller took up the earlier partial file or removed it: without resuming, the
// journal goes; otherwise this run's record starts (`partial` and `id` name the partial
// file, `from` bytes of it are there) and the journal records up to `size`.
void begin_upload_journal(UploadJournal& j, Engine& engine, const std::string& dest, bool may_resume,
                          const std::string& partial, uint64_t id, uint64_t from, uint64_t size);

// Where a download writes: an earlier run's partial file, holding [0, from), or a new one;
// and the journal that records what is written (none for private targets or --no-resume).
class DownloadTarget {
public:
    // `transfer` identifies the download (the source as it is now, and where it goes);
    // `size` is the source's; `theirs` reads the source.
    static tl::expected<DownloadTarget, Failure> open(Engine& engine, const Options& options,
                                                      const std::string& from, nlohmann::json transfer,
                                                      uint64_t size, const RangeReader& theirs,
                                                      const LocalTarget& local);
    int fd() const { return out_->fd(); }
    uint64_t from() const { return from_; }
    // What the engine calls as bytes are written (empty without a journal).
    ResumePoint resume_point();
    // The bytes [pos, pos + len) are written (the plain pipeline's sink).
    void stored(uint64_t pos, uint64_t len) {
        if (journal_) journal_->stored(pos, len);
    }
    // The download failed with `f`: keeps the partial file for the next run when that is
    // worth it (and `may_keep`: not when the source changed), else removes it and the journal.
    Failure abandon(Failure f, bool may_keep, Engine& engine);
    // Renames it into place; the journal goes either way.
    tl::expected<void, Failure> commit(const LocalPartial::Finish& finish);

private:
    DownloadTarget() = default;
    std::optional<LocalPartial> out_;
    std::optional<ResumeJournal> journal_;
    uint64_t from_ = 0;
    std::string display_;
};

}  // namespace netcp
