#include "stat_prefetch.hpp"

namespace netcp {

void StatPrefetch::start(std::shared_ptr<p9::Client> client, p9::Fid dir, const std::string& dir_path,
                         std::vector<std::string> names) {
    clear();
    auto s = std::make_shared<State>();
    s->client = client;
    s->dir_fid = dir.number();
    s->dir_path = dir_path;
    s->queue.assign(std::make_move_iterator(names.begin()), std::make_move_iterator(names.end()));
    dir_ = std::move(dir);
    state_ = s;
    std::lock_guard lock(s->mu);
    pump_locked(s);
}

void StatPrefetch::clear() {
    if (state_) {
        std::unique_lock lock(state_->mu);
        state_->stopped = true;
        state_->queue.clear();
        state_->cv.wait(lock, [&] { return state_->in_flight == 0; });
    }
    state_.reset();
    dir_ = p9::Fid{};
}

StatPrefetch::~StatPrefetch() { clear(); }

void StatPrefetch::pump_locked(const std::shared_ptr<State>& s) {
    while (!s->stopped && !s->queue.empty() && s->in_flight < window && s->answers.size() < lead) {
        auto client = s->client.lock();
        if (!client || !client->connected()) {
            s->queue.clear();  // the copy asks for the rest itself
            return;
        }
        std::string name = std::move(s->queue.front());
        s->queue.pop_front();
        const std::string path = s->dir_path.empty() ? name : s->dir_path + "/" + name;
        s->answers.emplace(path, Answer{});
        ++s->in_flight;
        // Twalk to a new fid, Tgetattr on it, then its Tclunk (not waited for).
        auto finish = [s, path](std::error_code ec, std::optional<p9::Rgetattr> attr) {
            std::lock_guard lock(s->mu);
            auto it = s->answers.find(path);
            if (it != s->answers.end()) {
                it->second.done = true;
                it->second.ec = ec;
                it->second.attr = std::move(attr);
            }
            --s->in_flight;
            pump_locked(s);
            s->cv.notify_all();
        };
        client->async_walk(s->dir_fid, {name}, [s, finish](std::error_code ec, uint32_t fid, std::vector<p9::Qid>) {
            auto c = s->client.lock();
            if (ec || !c) return finish(ec ? ec : make_error_code(p9::errc::not_connected), std::nullopt);
            c->async_call(p9::Tgetattr{fid, p9::getattr::basic}, [s, finish, fid](std::error_code gec, p9::Rgetattr a) {
                if (auto c2 = s->client.lock()) c2->async_clunk(fid, [](std::error_code) {});
                if (gec) return finish(gec, std::nullopt);
                finish({}, std::move(a));
            });
        });
    }
}

std::optional<std::optional<p9::Rgetattr>> StatPrefetch::take(const std::string& path) {
    if (!state_) return std::nullopt;
    auto& s = *state_;
    std::unique_lock lock(s.mu);
    auto it = s.answers.find(path);
    if (it == s.answers.end()) {
        // Not asked yet: the copy is ahead of the prefetch (or skipped entries). Drop it
        // from the queue if it is next, and let the caller ask.
        if (!s.queue.empty()) {
            const std::string next = s.dir_path.empty() ? s.queue.front() : s.dir_path + "/" + s.queue.front();
            if (next == path) s.queue.pop_front();
        }
        return std::nullopt;
    }
    // (Looked up again after each wake-up: answers added meanwhile may rehash the map.)
    s.cv.wait(lock, [&] {
        auto now = s.answers.find(path);
        return now == s.answers.end() || now->second.done;
    });
    it = s.answers.find(path);
    if (it == s.answers.end()) return std::nullopt;
    Answer a = std::move(it->second);
    s.answers.erase(it);
    pump_locked(state_);
    if (a.ec == std::errc::no_such_file_or_directory) return std::optional<p9::Rgetattr>{};
    if (a.ec) return std::nullopt;  // asked again by the caller, who reconnects if need be
    return std::optional<p9::Rgetattr>(std::move(a.attr));
}

}  // namespace netcp
