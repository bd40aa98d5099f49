#include "progress.hpp"

#include <sys/ioctl.h>
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "entry_names.hpp"
#include "json_events.hpp"

namespace netcp {

namespace {

using Clock = std::chrono::steady_clock;

constexpr auto redraw_interval = std::chrono::milliseconds(200);
constexpr auto json_interval = std::chrono::milliseconds(500);
constexpr auto rate_window = std::chrono::seconds(5);

std::string human_bytes(double b) {
    static const char* const units[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB"};
    size_t u = 0;
    while (b >= 1024 && u + 1 < std::size(units)) {
        b /= 1024;
        ++u;
    }
    char buf[32];
    if (u == 0) std::snprintf(buf, sizeof buf, "%.0f B", b);
    else std::snprintf(buf, sizeof buf, "%.1f %s", b, units[u]);
    return buf;
}

std::string duration_text(double secs) {
    if (!std::isfinite(secs) || secs < 0) return "-:--";
    const auto s = static_cast<unsigned long long>(secs + 0.5);
    char buf[32];
    if (s >= 100 * 3600) return ">99h";
    if (s >= 3600) std::snprintf(buf, sizeof buf, "%llu:%02llu:%02llu", s / 3600, s / 60 % 60, s % 60);
    else std::snprintf(buf, sizeof buf, "%llu:%02llu", s / 60, s % 60);
    return buf;
}

// Columns a printable UTF-8 string takes, counting one per code point.
size_t columns(const std::string& s) {
    size_t n = 0;
    for (unsigned char c : s) n += (c & 0xC0) != 0x80;
    return n;
}

// The last `cols` columns of `s`, cut at a code point boundary.
std::string last_columns(const std::string& s, size_t cols) {
    size_t n = 0, i = s.size();
    while (i > 0) {
        size_t j = i - 1;
        while (j > 0 && (static_cast<unsigned char>(s[j]) & 0xC0) == 0x80) --j;
        if (n + 1 > cols) break;
        ++n;
        i = j;
    }
    return s.substr(i);
}

// The first `cols` columns of `s`, cut at a code point boundary.
std::string first_columns(const std::string& s, size_t cols) {
    size_t n = 0, i = 0;
    while (i < s.size()) {
        if ((static_cast<unsigned char>(s[i]) & 0xC0) != 0x80) {
            if (n == cols) break;
            ++n;
        }
        ++i;
    }
    return s.substr(0, i);
}

unsigned terminal_width() {
    winsize ws{};
    if (::ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0) return ws.ws_col;
    return 80;
}

std::atomic<Progress*> g_progress{nullptr};

}  // namespace

std::string Progress::format_line(const Snapshot& s, unsigned width) {
    const size_t room = width > 1 ? width - 1 : 0;  // the last column would make the terminal wrap
    // Most important first; each further field only if it fits.
    std::string line = human_bytes(double(s.bytes));
    line += "  " + (s.rate > 0 ? human_bytes(s.rate) + "/s" : std::string("--/s"));
    std::vector<std::string> extras;
    if (!s.file.empty() && s.file_size > 0) {
        const double pct = std::min(100.0, 100.0 * double(s.file_bytes) / double(s.file_size));
        extras.push_back(std::to_string(static_cast<int>(pct)) + "%");
        const double left = double(s.file_size > s.file_bytes ? s.file_size - s.file_bytes : 0);
        extras.push_back("ETA " + (s.rate > 0 ? duration_text(left / s.rate) : std::string("-:--")));
    }
    extras.push_back(s.total_files ? std::to_string(s.files_done) + "/" + std::to_string(*s.total_files) + " files"
                                   : std::to_string(s.files_done) + (s.files_done == 1 ? " file" : " files"));
    if (s.active > 1) extras.push_back(std::to_string(s.active) + " at once");
    for (const auto& e : extras) {
        if (columns(line) + 2 + e.size() > room) break;
        line += "  " + e;
    }
    if (!s.file.empty()) {
        const size_t used = columns(line) + 2;
        // A name shorter than this would say nothing; leave it out.
        constexpr size_t min_name = 8;
        if (used + min_name <= room) {
            const size_t avail = room - used;
            line += "  ";
            line += columns(s.file) <= avail ? s.file : "..." + last_columns(s.file, avail - 3);
        }
    }
    if (columns(line) > room) line = first_columns(line, room);
    return line;
}

Progress::Progress(bool line, std::function<void(const std::string&)> emit_json)
    : line_(line), emit_json_(std::move(emit_json)) {
    if (line_ || emit_json_) thread_ = std::thread([this] { run(); });
}

Progress::~Progress() { stop(); }

void Progress::stop() {
    {
        std::lock_guard lock(mu_);
        stop_ = true;
    }
    cv_.notify_all();
    if (thread_.joinable()) thread_.join();
    std::lock_guard lock(mu_);
    clear_locked();
}

void Progress::set_total_files(uint64_t n) {
    std::lock_guard lock(mu_);
    total_files_ = n;
}

namespace {
// The file the calling thread is copying (one Progress per process).
thread_local void* t_active = nullptr;
}  // namespace

Progress::Active* Progress::mine() { return static_cast<Active*>(t_active); }

void Progress::file_started(const std::string& name, uint64_t size) {
    auto a = std::make_unique<Active>();
    a->name = printable(name);
    a->size = size;
    std::lock_guard lock(mu_);
    t_active = a.get();
    active_.push_back(std::move(a));
}

void Progress::add(uint64_t bytes) {
    // Only the thread that started the file adds to it, and only it ends it: no lock.
    if (Active* a = mine()) a->added.fetch_add(bytes, std::memory_order_relaxed);
}

std::atomic<uint64_t>* Progress::counter() {
    Active* a = mine();
    return a ? &a->added : nullptr;
}

void Progress::set_file_source(std::function<uint64_t()> source) {
    std::lock_guard lock(mu_);
    if (Active* a = mine()) a->source = std::move(source);
}

void Progress::file_ended(bool copied, uint64_t bytes) {
    std::lock_guard lock(mu_);
    Active* a = mine();
    t_active = nullptr;
    if (copied) {
        ++files_done_;
        done_bytes_ += bytes;
    }
    std::erase_if(active_, [a](const std::unique_ptr<Active>& p) { return p.get() == a; });
}

Progress::Snapshot Progress::snapshot_locked(Clock::time_point now) {
    Snapshot s;
    for (const auto& a : active_) {
        uint64_t got = a->source ? a->source() : a->added.load(std::memory_order_relaxed);
        // A retried span is acknowledged twice: never show more than the file has.
        if (a->size > 0) got = std::min(got, a->size);
        s.file_bytes += got;
        s.file_size += a->size;
    }
    s.active = active_.size();
    if (!active_.empty()) s.file = active_.back()->name;  // the newest
    s.bytes = done_bytes_ + s.file_bytes;
    s.files_done = files_done_;
    s.total_files = total_files_;
    s.elapsed = std::chrono::duration<double>(now - start_).count();
    if (!samples_.empty()) {
        const double dt = std::chrono::duration<double>(now - samples_.front().first).count();
        if (dt >= 0.5 && s.bytes >= samples_.front().second) s.rate = double(s.bytes - samples_.front().second) / dt;
    }
    return s;
}

void Progress::draw_locked() {
    if (!line_ || stop_) return;
    const std::string text = format_line(snapshot_locked(Clock::now()), terminal_width());
    // Back to the start of the line, the text, then erase what an older, longer line left.
    std::fprintf(stderr, "\r%s\x1b[K", text.c_str());
    std::fflush(stderr);
    drawn_ = true;
}

void Progress::clear_locked() {
    if (!drawn_) return;
    std::fputs("\r\x1b[K", stderr);
    std::fflush(stderr);
    drawn_ = false;
}

void Progress::print(const std::string& text) {
    std::lock_guard lock(mu_);
    clear_locked();
    std::fputs(text.c_str(), stderr);
    std::fflush(stderr);
    if (!active_.empty()) draw_locked();
}

void Progress::run() {
    std::unique_lock lock(mu_);
    while (!stop_) {
        const auto now = Clock::now();
        samples_.emplace_back(now, snapshot_locked(now).bytes);
        while (samples_.size() > 2 && now - samples_.front().first > rate_window) samples_.pop_front();
        // Nothing to show before the first file starts (and no event before "start").
        const bool begun = !active_.empty() || files_done_ > 0;
        if (begun) draw_locked();
        if (begun && emit_json_ && now - last_json_ >= json_interval) {
            last_json_ = now;
            const Snapshot s = snapshot_locked(now);
            emit_json_(json_events::progress(s.bytes, s.rate, s.files_done, s.total_files, active_.empty() ? "" : active_.back()->name,
                                             s.file_bytes, s.file_size, s.active, s.elapsed));
        }
        cv_.wait_for(lock, redraw_interval, [&] { return stop_; });
    }
}

bool stderr_is_terminal() {
    if (!::isatty(STDERR_FILENO)) return false;
    const char* term = std::getenv("TERM");
    return !(term && std::strcmp(term, "dumb") == 0);
}

void print_message(const std::string& text) {
    if (Progress* p = g_progress.load()) return p->print(text);
    std::fputs(text.c_str(), stderr);
}

void set_message_progress(Progress* p) { g_progress.store(p); }

}  // namespace netcp
