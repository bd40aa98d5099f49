// Resuming 9P transfers: finding what an interrupted run of the same copy left (its
// journal and partial file), checking that it still belongs to this transfer and that the
// bytes before the resume point agree on both sides, and taking it up; or clearing it
// when the source changed, the check fails, or --no-resume asks to start over.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include <sys/stat.h>

#include "lib9p/blocking.hpp"
#include "local_partial.hpp"
#include "options.hpp"
#include "remote_fs.hpp"
#include "resume_journal.hpp"

namespace netcp {

// Failures after which a partial file is worth keeping for the next run: the copy was
// stopped (a signal), or the server went away (timeout, lost connection). Anything else
// (the source changed, the server refused the data) starts over next time.
bool worth_resuming(const Failure& f);
// What a kept partial file adds to the failure's message.
std::string kept_for_resume_note(const std::string& what);

struct UploadResume {
    // The journal this run records into; none for standard input, --raw-pipeline,
    // --no-resume, or when it cannot be kept (the reason is in `note`).
    std::optional<ResumeJournal> journal;
    JournalRecord record;  // the transfer's identity; the partial's name and id go in later
    // An earlier run's partial file, taken up: open for writing, holding [0, from).
    std::optional<p9::Fid> file;
    std::string partial;
    p9::Qid qid;
    uint64_t from = 0;
    std::string note;        // why an earlier partial file was not taken up
    std::string no_journal;  // why no journal can be kept (nothing will be resumable)
};

// Looks for an interrupted upload of `local` (open as `src_fd`, stat'ed as `st`) to
// `remote_path`. Uses the connection; a connection failure meanwhile only means no resume.
UploadResume find_upload_resume(RemoteFs& remote, const Options& options, const std::string& local, int src_fd,
                                const struct stat& st, const std::string& remote_path, bool from_stdin);

struct DownloadResume {
    std::optional<ResumeJournal> journal;  // none for private targets, --no-resume, or see note
    JournalRecord record;
    std::optional<LocalPartial> out;       // an earlier run's partial file, holding [0, from)
    uint64_t from = 0;
    std::string note;
    std::string no_journal;
};

// Looks for an interrupted download of `remote_path` (attributes `attr`, open as `file`)
// to `local`.
DownloadResume find_download_resume(RemoteFs& remote, const Options& options, const std::string& remote_path,
                                    const p9::Rgetattr& attr, const p9::Fid& file, const LocalTarget& local);

}  // namespace netcp
