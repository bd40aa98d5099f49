#include "report.hpp"

#include <signal.h>

#include <asio/error.hpp>
#include <atomic>
#include <cstdio>

#include "exit_codes.hpp"
#include "entry_names.hpp"
#include "json_events.hpp"
#include "progress.hpp"
#include "lib9p/error.hpp"
#include "libafs/client/retry_policy.hpp"
#include "libafs/error.hpp"
#include "netfs/error.hpp"

namespace netcp {

int classify(std::error_code ec) {
    if (ec == std::errc::interrupted) return exit_interrupted;
    if (ec == std::errc::no_such_file_or_directory) return exit_not_found;
    // A server that stopped answering: a 9P request or an Rx call with nothing heard (or
    // no progress) for --timeout.
    if (ec == p9::errc::timed_out || ec == std::errc::timed_out || ec == afs::errc::timed_out ||
        afs::client::is_server_unreachable(ec))
        return exit_timeout;
    if (ec == std::errc::connection_refused || ec == std::errc::host_unreachable ||
        ec == std::errc::network_unreachable || ec == std::errc::connection_reset || ec == std::errc::not_connected ||
        ec == p9::errc::connection_closed || ec == p9::errc::not_connected || ec == p9::errc::version_mismatch ||
        ec == p9::errc::msize_too_small || ec.category() == asio::error::get_netdb_category() ||
        ec.category() == asio::error::get_addrinfo_category())
        return exit_connection;
    return exit_error;
}

Failure failure(const std::string& what, std::error_code ec) {
    return {classify(ec), what + ": " + ec.message()};
}

Failure changed_during_download(const std::string& from, const std::string& why) {
    return {exit_error, from + " changed on the server during the download" + (why.empty() ? "" : " (" + why + ")") +
                            ": " + make_error_code(netfs::errc::remote_changed).message()};
}

namespace {
// The file the calling thread is copying, if any (one Reporter per process).
struct CurrentFile {
    std::string from, to;
    std::chrono::steady_clock::time_point start;
    uint64_t resumed_from = 0;
};
thread_local CurrentFile t_current;
}  // namespace

Reporter::Reporter(int verbosity, bool json, Progress* progress)
    : verbosity_(verbosity), json_(json), progress_(progress) {}

void print_json_line(const std::string& line) {
    std::fputs(line.c_str(), stdout);
    std::fflush(stdout);  // a script reading the pipe sees each event when it happens
}

void Reporter::emit(const std::string& line) {
    if (json_) print_json_line(line);
}

void Reporter::start(const std::vector<std::string>& sources, const std::string& destination) {
    emit(json_events::start(NETCP_VERSION, sources, destination));
}

void Reporter::fail(const Failure& f) {
    // Messages carry names from the server: never let one drive the terminal.
    print_message("netcp: " + printable(f.message) + "\n");
    std::lock_guard lock(mu_);
    if (failures_++ == 0) first_failure_code_ = f.exit_code;
    emit(json_events::error(f.message, f.exit_code, t_current.from, t_current.to));
    if (progress_ && !t_current.from.empty()) progress_->file_ended(false, 0);
    t_current = {};
}

void Reporter::usage_error(const std::string& message) {
    print_message("netcp: " + printable(message) + "\nTry 'netcp --help'.\n");
    std::lock_guard lock(mu_);
    if (failures_++ == 0) first_failure_code_ = exit_usage;
    emit(json_events::error(message, exit_usage, {}, {}));
}

void Reporter::warn(const std::string& message) {
    if (verbosity_ >= 1) print_message("netcp: warning: " + printable(message) + "\n");
    std::lock_guard lock(mu_);
    emit(json_events::warning(message));
}

void Reporter::file_started(const std::string& from, const std::string& to, uint64_t size) {
    t_current = {from, to, std::chrono::steady_clock::now()};
    std::lock_guard lock(mu_);
    emit(json_events::file_start(from, to, size));
    if (progress_) progress_->file_started(from, size);
}

void Reporter::file_copied(const std::string& from, const std::string& to, uint64_t bytes) {
    const bool timed = t_current.from == from && t_current.to == to;
    const double secs =
        timed ? std::chrono::duration<double>(std::chrono::steady_clock::now() - t_current.start).count() : 0.0;
    const uint64_t resumed_from = timed ? t_current.resumed_from : 0;
    t_current = {};
    if (progress_) progress_->file_ended(true, bytes);
    if (verbosity_ >= 2)
        print_message("'" + printable(from) + "' -> '" + printable(to) + "' (" + std::to_string(bytes) + " bytes)\n");
    std::lock_guard lock(mu_);
    ++files_;
    bytes_ += bytes;
    emit(json_events::file_done(from, to, bytes, secs, resumed_from));
}

void Reporter::file_resumed(uint64_t at) {
    t_current.resumed_from = at;
    if (verbosity_ >= 2)
        print_message("'" + printable(t_current.from) + "' -> '" + printable(t_current.to) +
                      "': continuing an interrupted copy after byte " + std::to_string(at) + "\n");
}

void Reporter::dir_created(const std::string& to) {
    if (verbosity_ >= 2) print_message("created directory '" + printable(to) + "'\n");
    std::lock_guard lock(mu_);
    ++dirs_;
    emit(json_events::dir(to));
}

void Reporter::file_skipped(const std::string& from, const std::string& to, uint64_t size, const std::string& reason) {
    const bool dry = reason == "dry_run";
    // A dry run exists to show what it would do: at the normal level too.
    if (verbosity_ >= 2 || (dry && verbosity_ >= 1)) {
        const std::string why = dry                      ? ""
                                : reason == "exists"     ? " (exists)"
                                : reason == "newer"      ? " (the destination is newer)"
                                : reason == "same_content" ? " (same content)"
                                                         : " (same size)";
        print_message((dry ? "would copy '" : "skipped '") + printable(from) + "' -> '" + printable(to) + "'" + why +
                      "\n");
    }
    std::lock_guard lock(mu_);
    ++skipped_;
    emit(json_events::skip(from, to, size, reason));
}

void Reporter::summary() {
    if (verbosity_ < 2) return;
    std::unique_lock lock(mu_);
    const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
    char line[256];
    std::snprintf(line, sizeof line, "netcp: %llu file%s, %llu director%s, %.1f MB in %.2f s (%.1f MB/s)%s%s\n",
                  static_cast<unsigned long long>(files_), files_ == 1 ? "" : "s",
                  static_cast<unsigned long long>(dirs_), dirs_ == 1 ? "y" : "ies", double(bytes_) / 1e6, secs,
                  secs > 0 ? double(bytes_) / 1e6 / secs : 0.0,
                  skipped_ ? (", " + std::to_string(skipped_) + " skipped").c_str() : "",
                  failures_ ? (", " + std::to_string(failures_) + " failed").c_str() : "");
    lock.unlock();
    print_message(line);
}

void Reporter::finish(int exit_code) {
    std::lock_guard lock(mu_);
    const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
    emit(json_events::summary(files_, dirs_, bytes_, failures_, secs, exit_code, skipped_));
}

void report_usage_error_json() {
    print_json_line(json_events::error("usage error (the message is on stderr)", exit_usage, {}, {}));
    print_json_line(json_events::summary(0, 0, 0, 1, 0.0, exit_usage));
}

int Reporter::exit_code() const {
    std::lock_guard lock(mu_);
    if (failures_ == 0) return exit_ok;
    if (first_failure_code_ == exit_interrupted) return interrupt_exit_code();
    if (files_ + dirs_ == 0) return first_failure_code_;  // nothing copied: say why
    return exit_partial;
}

namespace {
std::atomic<int> g_signal{0};  // the first of SIGINT, SIGTERM, SIGHUP received

void on_stop_signal(int sig) {
    int none = 0;
    g_signal.compare_exchange_strong(none, sig);
    ::signal(sig, SIG_DFL);  // the same signal again ends the process at once
}
}  // namespace

void install_interrupt_handler() {
    struct sigaction sa {};
    sa.sa_handler = on_stop_signal;
    sigemptyset(&sa.sa_mask);
    for (int sig : {SIGINT, SIGTERM, SIGHUP}) ::sigaction(sig, &sa, nullptr);
    ::signal(SIGPIPE, SIG_IGN);
}

bool interrupted() { return g_signal.load() != 0; }

int interrupt_exit_code() {
    const int sig = g_signal.load();
    return sig ? 128 + sig : exit_interrupted;
}

}  // namespace netcp
