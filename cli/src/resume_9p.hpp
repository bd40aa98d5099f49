// Resuming 9P uploads: finding what an interrupted run of the same upload left (its
// journal and the partial file on the server), checking that it still belongs to this
// transfer and that the bytes before the resume point agree on both sides, and taking it
// up; or clearing it when the source changed, the check fails, or --no-resume asks to
// start over. (A download's local side is resume.hpp's, for every protocol.)
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include <sys/stat.h>

#include "lib9p/blocking.hpp"
#include "options.hpp"
#include "remote_fs.hpp"
#include "resume.hpp"
#include "resume_journal.hpp"

namespace netcp {

struct UploadResume {
    UploadJournal journal;    // the journal this run records into, if any
    bool may_resume = false;  // not with --no-resume, standard input or --raw-pipeline
    // An earlier run's partial file, taken up: open for writing, holding [0, from).
    std::optional<p9::Fid> file;
    std::string partial;
    p9::Qid qid;
    uint64_t from = 0;
    std::string note;  // why an earlier partial file was not taken up
};

// Looks for an interrupted upload of `local` (open as `src_fd`, stat'ed as `st`) to
// `remote_path`. Uses the connection; a connection failure meanwhile only means no resume.
UploadResume find_upload_resume(RemoteFs& remote, const Options& options, const std::string& local, int src_fd,
                                const struct stat& st, const std::string& remote_path, bool from_stdin);

// What identifies a 9P download (the file as the server describes it now; the copy's
// target is added by DownloadTarget), and a reader of the open file for the boundary check.
nlohmann::json ninep_download_transfer(const RemoteFs& remote, const Options& options, const std::string& remote_path,
                                       const p9::Rgetattr& attr);
RangeReader ninep_reader(p9::BlockingClient& client, const p9::Fid& file);

}  // namespace netcp
