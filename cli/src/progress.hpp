// How far the copy has got, for people and for scripts: a live line on stderr when it is
// a terminal (bytes, rate, ETA, files done, the current file), and with --json a
// "progress" event at most twice a second. Transfers only add to an atomic counter; a
// thread of its own draws, so the display never slows the copy.
//
// Everything else netcp prints on stderr goes through print_message(), which takes the
// line away first, so a message never lands in the middle of it.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <memory>
#include <vector>

namespace netcp {

class Progress {
public:
    // `line`: draw the live line (only ever true when stderr is a terminal). `emit_json`:
    // where progress events go (empty: none).
    Progress(bool line, std::function<void(const std::string&)> emit_json);
    // Stops drawing and takes the line away (stop()).
    ~Progress();
    // No more drawing and no more events: the last word (the JSON summary) comes after.
    void stop();
    Progress(const Progress&) = delete;
    Progress& operator=(const Progress&) = delete;

    // The number of files the copy will make, when known before it starts.
    void set_total_files(uint64_t n);
    // A file's copy begins in the calling thread (with --transfers, several threads copy
    // at once: each one's calls below are about its own file).
    void file_started(const std::string& name, uint64_t size);
    // The calling thread's file is done: copied (`bytes` of it) or failed.
    void file_ended(bool copied, uint64_t bytes);
    // Bytes of the calling thread's file that reached their destination (downloads:
    // written to the local file). Lock-free.
    void add(uint64_t bytes);
    // The calling thread's file's counter, for adding to from other threads (a pipeline's
    // completions run on the client's I/O thread); null between files. Valid until the file ends.
    std::atomic<uint64_t>* counter();
    // Or: where that file's count comes from instead of add() (uploads: the bytes the
    // server acknowledged, as the write engine counts them), until the file ends or it is
    // set to empty. Called from the drawing thread, a few times a second.
    void set_file_source(std::function<uint64_t()> source);

    // The text of the line for a terminal `width` columns wide: never wider than width - 1
    // (so the terminal never wraps it), with no control characters but none.
    struct Snapshot {
        uint64_t bytes = 0;          // every file so far
        uint64_t file_bytes = 0;     // of the current file
        uint64_t file_size = 0;
        double rate = 0;             // bytes per second, recent
        uint64_t files_done = 0;
        std::optional<uint64_t> total_files;
        std::string file;            // the current file (printable), empty between files
        double elapsed = 0;
        uint64_t active = 0;         // files being copied now (file_bytes and file_size are their sums)
    };
    static std::string format_line(const Snapshot& s, unsigned width);

    // Prints `text` (one or more whole lines) on stderr, taking the progress line away
    // first; it comes back at the next redraw.
    void print(const std::string& text);

private:
    Snapshot snapshot_locked(std::chrono::steady_clock::time_point now);
    void run();
    void draw_locked();
    void clear_locked();

    // A file being copied, by the thread that started it.
    struct Active {
        std::string name;  // printable
        uint64_t size = 0;
        std::atomic<uint64_t> added{0};
        std::function<uint64_t()> source;
    };
    Active* mine();  // the calling thread's file, or null

    const bool line_;
    const std::function<void(const std::string&)> emit_json_;
    std::mutex mu_;
    std::condition_variable cv_;
    bool stop_ = false;
    bool drawn_ = false;  // the line is on the screen
    uint64_t done_bytes_ = 0;  // of the files that ended
    uint64_t files_done_ = 0;
    std::optional<uint64_t> total_files_;
    std::vector<std::unique_ptr<Active>> active_;  // oldest first
    const std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
    std::chrono::steady_clock::time_point last_json_{};
    // Recent (time, bytes) samples: the rate is over the last few seconds.
    std::deque<std::pair<std::chrono::steady_clock::time_point, uint64_t>> samples_;
    std::thread thread_;
};

// Whether stderr is a terminal that can take the live line (not TERM=dumb).
bool stderr_is_terminal();

// Prints `text` on stderr through the progress display if one is up (see Progress::print),
// else directly. Every message netcp prints on stderr during a copy goes through here.
void print_message(const std::string& text);
// The progress display print_message uses (null: none). Set by the copy for its duration.
void set_message_progress(Progress* p);

}  // namespace netcp
