// What netcp tells the user: errors (always, on stderr), per-file lines and a summary
// (with --verbose), and the exit code that sums the run up.
#pragma once

#include <atomic>
#include <chrono>
#include <mutex>
#include <cstdint>
#include <string>
#include <system_error>
#include <vector>

namespace netcp {

// One failed action: what the user reads and the exit code it maps to.
struct Failure {
    int exit_code = 1;
    std::string message;  // a whole sentence naming the file and the cause
};

// Maps an error to an exit code (not found, connection, timeout, interrupted, other).
int classify(std::error_code ec);
Failure failure(const std::string& what, std::error_code ec);
// A file that changed on the server while it was downloaded (exit 1): `why` says how.
Failure changed_during_download(const std::string& from, const std::string& why);

// Humans read stderr (errors always, files and a summary with --verbose); with --json,
// scripts read one JSON object per line on stdout as well (json_events.hpp). Thread-safe:
// the file a thread started is the one its failure names.
class Reporter {
public:
    // `progress`: the live display and progress events to keep up to date (null: none).
    explicit Reporter(int verbosity, bool json = false, class Progress* progress = nullptr);
    Progress* progress() const { return progress_; }
    void start(const std::vector<std::string>& sources, const std::string& destination);
    void fail(const Failure& f);
    // A usage error found once the copy began (operands that cannot go together): the
    // message and "Try 'netcp --help'", exit 2.
    void usage_error(const std::string& message);
    void warn(const std::string& message);
    // A file's copy begins (its events and errors name it until file_copied or fail).
    void file_started(const std::string& from, const std::string& to, uint64_t size);
    void file_copied(const std::string& from, const std::string& to, uint64_t bytes);
    // The file this thread copies continues an interrupted copy after byte `at`
    // (said with -v, and in the file's JSON file_done).
    void file_resumed(uint64_t at);
    // A failed copy kept its partial file (and journal) for the next run to continue.
    void partial_kept() { kept_.fetch_add(1, std::memory_order_relaxed); }
    uint64_t partials_kept() const { return kept_.load(std::memory_order_relaxed); }
    void dir_created(const std::string& to);
    // A file left alone (--ignore-existing, --update, --size-only), or one --dry-run would
    // copy: `reason` as in the JSON skip event.
    void file_skipped(const std::string& from, const std::string& to, uint64_t size, const std::string& reason);
    void summary();
    // The run's last word: the JSON summary with the exit status (nothing without --json).
    void finish(int exit_code);
    int exit_code() const;
    bool any_failure() const {
        std::lock_guard lock(mu_);
        return failures_ > 0;
    }

private:
    void emit(const std::string& line);
    int verbosity_;
    bool json_;
    Progress* progress_;
    uint64_t files_ = 0, dirs_ = 0, bytes_ = 0, failures_ = 0, skipped_ = 0;
    int first_failure_code_ = 0;
    std::atomic<uint64_t> kept_{0};
    std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
    mutable std::mutex mu_;  // files are reported from several threads (--transfers)
};

// Writes one --json line (json_events.hpp) on stdout, flushed. Whole lines never mix:
// stdio locks the stream for each call.
void print_json_line(const std::string& line);

// A usage error with --json: the error and summary lines a script expects.
void report_usage_error_json();

// SIGINT, SIGTERM and SIGHUP: the first sets a flag that transfers check (they stop
// issuing, drain what is in flight and remove partial files, local and remote); the same
// signal again kills the process.
void install_interrupt_handler();
bool interrupted();
// 128 + the signal that interrupted the run (130 for SIGINT, 143 SIGTERM, 129 SIGHUP).
int interrupt_exit_code();

}  // namespace netcp
