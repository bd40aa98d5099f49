// The attributes of a directory's entries, asked of a 9P server ahead of the copy that
// walks them: a copy stats each entry before handing it to a transfer, and one entry at a
// time costs two round trips each (Twalk, Tgetattr), which over a path with latency bounds
// a tree copy however many files go at once. The prefetcher keeps up to `window` of those
// pairs in flight, at most `lead` entries ahead of the one the copy is at, and hands each
// answer over once. Anything it could not get (an error, a lost connection) the copy asks
// again itself, the usual way: a prefetched answer is only ever a shortcut.
#pragma once

#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "lib9p/blocking.hpp"

namespace netcp {

class StatPrefetch {
public:
    static constexpr unsigned window = 32;  // Twalk+Tgetattr pairs in flight
    static constexpr size_t lead = 256;     // answers held ahead of the copy

    // Starts on directory fid `dir` (kept until the next start or destruction) for the
    // entries `names` of directory `dir_path`, in the order the copy will ask for them.
    void start(std::shared_ptr<p9::Client> client, p9::Fid dir, const std::string& dir_path,
               std::vector<std::string> names);
    // Stops asking, waits for what is in flight and forgets everything (a reconnection:
    // the fids are the old connection's).
    void clear();
    // The prefetched attributes of `path` (nullopt inside: it does not exist), waiting for
    // them if they are in flight; no value when the caller must ask itself.
    std::optional<std::optional<p9::Rgetattr>> take(const std::string& path);
    ~StatPrefetch();

private:
    struct Answer {
        bool done = false;
        std::error_code ec;
        std::optional<p9::Rgetattr> attr;
    };
    // Shared with the requests' completions, which run on the client's I/O thread: it holds
    // no Fid and no strong reference to the client, so whatever releases it last (here or
    // there) releases nothing that waits for that thread.
    struct State {
        std::mutex mu;
        std::condition_variable cv;
        std::weak_ptr<p9::Client> client;
        uint32_t dir_fid = 0;
        std::string dir_path;
        std::deque<std::string> queue;                   // names not asked yet
        std::unordered_map<std::string, Answer> answers;  // by path: asked, and not taken yet
        unsigned in_flight = 0;
        bool stopped = false;
    };
    // Issues what the window and the lead allow; call with s->mu held.
    static void pump_locked(const std::shared_ptr<State>& s);
    std::shared_ptr<State> state_;
    p9::Fid dir_;  // the directory the walks start from, released here (never on the I/O thread)
};

}  // namespace netcp
