// What lets an interrupted copy continue: a small journal kept while a file is copied,
// naming the transfer (its source and destination as they were), the partial file it
// writes, and how many bytes from the start of the file the other side holds — the
// prefix, fed only from what was acknowledged (the write engine's collected spans for
// an upload, the bytes written locally for a download), never from what was sent.
//
// Line 1 is JSON, line 2 the prefix in fixed width, rewritten in place by one pwrite as it
// grows, so a process killed at any moment leaves the old value or the new one. The file
// is locked (flock) while a copy uses it: a second netcp on the same transfer neither
// resumes it nor removes it. Its contents are read as untrusted: the journal lies in a
// directory others may write (a download's destination), so a record that is not exactly
// what this version writes is ignored, and a partial name in it is used only if it is
// the one name the transfer itself would have chosen.
#pragma once

#include <cstdint>
#include <functional>
#include <mutex>
#include <span>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>
#include <tl/expected.hpp>

#include "netfs/cache/extent_map.hpp"

namespace netcp {

struct JournalRecord {
    nlohmann::json transfer;  // what the transfer is: compared whole on resume
    std::string partial;      // the partial file's name (one component)
    uint64_t partial_id = 0;  // its identity where the protocol has one (9P qid path)
    uint64_t prefix = 0;      // bytes from the start the other side holds
};

// A transfer's identity as a journal holds it: names are bytes and JSON strings UTF-8, so
// invalid sequences become U+FFFD, as in what format_journal writes; compare this form
// with a record read back. (Callers add a hash of the exact bytes, so two names that
// differ only in invalid bytes still differ.)
nlohmann::json journal_form(const nlohmann::json& transfer);

// The contents of a journal, and back. parse_journal returns nullopt for anything that is
// not exactly what format_journal makes (bounded to max_journal_bytes).
constexpr size_t max_journal_bytes = 64 * 1024;
// Files smaller than this keep no journal and look for none: starting one over costs
// little more than checking the bytes before a resume point would, and the journal's
// work for every file (its name's hash, its file made and removed) would cost a tree of
// small files more than resuming could ever save.
constexpr uint64_t min_resumable_size = 4u << 20;
std::string format_journal(const JournalRecord& record);
std::optional<JournalRecord> parse_journal(std::string_view text);

// Where upload journals live (the source is local, so their journal is too):
// $NETCP_STATE_DIR, else $XDG_STATE_HOME/netcp, else ~/.local/state/netcp; with
// "/uploads" appended. Empty when none can be named (no HOME).
std::string upload_journal_dir();
// A download's journal, beside its partial file: ".NAME.netcp-HASH.resume", within NAME_MAX.
std::string download_journal_name(const std::string& target_name);

// Before continuing at `from`, the bytes just below it (up to boundary_bytes) must read
// the same on both sides: what the journal says is there, checked where a server that
// lost its last writes (or a local file cut short) would differ. Each reader fills the
// buffer from a position and returns how many bytes it read (0: end of file).
constexpr uint64_t boundary_bytes = 1u << 20;
using RangeReader = std::function<tl::expected<size_t, std::error_code>(uint64_t pos, std::span<std::byte> dst)>;
// True when they agree, false when they differ (or one side ends early), or why one
// side could not be read.
tl::expected<bool, std::error_code> boundary_matches(uint64_t from, const RangeReader& ours,
                                                     const RangeReader& theirs);

class ResumeJournal {
public:
    // Opens or creates `name` in `dir_fd` (O_NOFOLLOW, mode 0600) and locks it. Fails with
    // EWOULDBLOCK when another netcp holds it, or why it cannot be opened.
    static tl::expected<ResumeJournal, std::error_code> open(int dir_fd, const std::string& name);
    // The same in directory `dir`, created (mode 0700) if missing; refused (EPERM) unless
    // the directory is the user's and writable by no one else.
    static tl::expected<ResumeJournal, std::error_code> open_in(const std::string& dir, const std::string& name);
    ResumeJournal(ResumeJournal&& other) noexcept;
    ResumeJournal& operator=(ResumeJournal&& other) noexcept;
    ~ResumeJournal();  // unlocks and closes; the file stays for the next run

    // What the journal holds from an earlier run, if it is a valid record.
    std::optional<JournalRecord> read() const;
    // Starts the record of this run's transfer of `end` bytes: `record.prefix` bytes are
    // there already.
    [[nodiscard]] std::error_code begin(const JournalRecord& record, uint64_t end);
    // [pos, pos + len) is now held by the other side. Any thread. The prefix on disk
    // follows once it moved by `step` bytes, and always when it reaches `end`.
    void stored(uint64_t pos, uint64_t len);
    // The transfer is done, or its partial file is gone: the journal goes too.
    void remove();

    // The prefix last written (for tests and messages).
    uint64_t prefix_written() const;

private:
    ResumeJournal(int dir_fd, std::string name, int fd) : dir_fd_(dir_fd), name_(std::move(name)), fd_(fd) {}
    void write_prefix_locked(uint64_t prefix);
    void close();

    int dir_fd_ = -1;       // borrowed, or owned when owns_dir_
    bool owns_dir_ = false;
    std::string name_;
    int fd_ = -1;
    size_t prefix_offset_ = 0;  // where line 2's digits start
    bool begun_ = false;
    mutable std::mutex mu_;
    netfs::cache::ExtentMap ranges_;  // what was stored
    uint64_t written_ = 0;
    uint64_t end_ = UINT64_MAX;
    static constexpr uint64_t step = 256u << 10;  // one upload folio (engine.hpp's upload_folio_size)
};

}  // namespace netcp
