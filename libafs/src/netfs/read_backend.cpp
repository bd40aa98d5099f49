// The AFS read adapter for netfs-core (see read_backend.hpp).
#include "libafs/netfs/read_backend.hpp"

#include <algorithm>

#include "key_attempts.hpp"
#include "libafs/netfs/call_errors.hpp"
#include "netfs/error.hpp"

namespace afs::netfs {

struct AfsReadBackend::Read {
    uint64_t pos = 0;
    std::span<std::byte> dst;
    std::function<void(std::error_code, size_t)> done;
    uint64_t tried = 0;                          // keys, one bit each
    std::vector<detail::KeyAttempt> attempts;    // refusals, in the order tried
};

result<std::unique_ptr<AfsReadBackend>> AfsReadBackend::create(std::shared_ptr<client::Client> client,
                                                               client::FileRef file,
                                                               std::vector<client::Identity> keys, ReadOptions options) {
    if (!client || keys.empty() || keys.size() > KeyOrder::max_keys || options.max_read == 0) return fail(errc::bad_value);
    if (std::any_of(keys.begin(), keys.end(), [](const client::Identity& k) { return !k; }))
        return fail(errc::bad_value);
    return std::unique_ptr<AfsReadBackend>(
        new AfsReadBackend(std::move(client), std::move(file), std::move(keys), std::move(options)));
}

AfsReadBackend::AfsReadBackend(std::shared_ptr<client::Client> client, client::FileRef file,
                               std::vector<client::Identity> keys, ReadOptions options)
    : client_(std::move(client)),
      file_(std::move(file)),
      keys_(std::move(keys)),
      options_(std::move(options)),
      order_(keys_.size()) {}

AfsReadStats AfsReadBackend::stats() const {
    std::lock_guard lock(mu_);
    return stats_;
}

std::string AfsReadBackend::failure() const {
    std::lock_guard lock(mu_);
    return failure_;
}

std::optional<wire::AFSFetchStatus> AfsReadBackend::changed_to() const {
    std::lock_guard lock(mu_);
    return changed_to_;
}

void AfsReadBackend::read(uint64_t pos, std::span<std::byte> dst, std::function<void(std::error_code, size_t)> done) {
    auto r = std::make_shared<Read>();
    r->pos = pos;
    r->dst = dst;
    r->done = std::move(done);
    size_t key;
    {
        std::lock_guard lock(mu_);
        key = order_.first();
    }
    attempt(std::move(r), key);
}

void AfsReadBackend::attempt(std::shared_ptr<Read> r, size_t key) {
    r->tried |= uint64_t{1} << key;
    {
        std::lock_guard lock(mu_);
        ++stats_.fetches;
    }
    const uint64_t pos = r->pos;
    const std::span<std::byte> dst = r->dst;
    client_->async_fetch_data(keys_[key], file_, pos, dst,
                              [this, r = std::move(r), key](std::error_code ec, client::FetchReply reply) mutable {
                                  fetched(std::move(r), key, ec, std::move(reply));
                              });
}

void AfsReadBackend::fetched(std::shared_ptr<Read> r, size_t key, std::error_code ec, client::FetchReply reply) {
    if (!ec && options_.data_version && reply.status.data_version() != *options_.data_version) {
        // Written (or truncated) by someone else since the copy began: these bytes, or the
        // end of file the reply reports, belong to another version of the file.
        {
            std::lock_guard lock(mu_);
            ++stats_.changed;
            ++stats_.failed;
            if (!changed_to_) changed_to_ = reply.status;
            failure_ = (options_.name.empty() ? file_.to_string() : options_.name) +
                       " changed on the fileserver during the read (data version " +
                       std::to_string(*options_.data_version) + " when it began, " +
                       std::to_string(reply.status.data_version()) + " now; length now " +
                       std::to_string(reply.status.length()) + " bytes)";
        }
        auto done = std::move(r->done);
        done(make_error_code(::netfs::errc::remote_changed), 0);
        return;
    }
    if (!ec) {
        {
            std::lock_guard lock(mu_);
            order_.succeeded(key);
            stats_.bytes += reply.bytes;
        }
        auto done = std::move(r->done);
        done({}, static_cast<size_t>(reply.bytes));
        return;
    }
    std::optional<size_t> next;
    {
        std::lock_guard lock(mu_);
        if (classify_call(ec) == CallFailure::key) {
            order_.refused(key);
            ++stats_.refused;
            r->attempts.push_back({client::describe(keys_[key]), ec});
            next = order_.next(r->tried);
            if (next) ++stats_.key_switches;
        }
        if (!next) {
            ++stats_.failed;
            client::Outcome o = reply.outcome;
            if (!options_.name.empty()) o.target = options_.name + " (" + o.target + ")";
            failure_ = r->attempts.size() > 1 ? detail::all_keys_failed(r->attempts, std::move(o)).message()
                                              : o.message(ec);
        }
    }
    if (next) return attempt(std::move(r), *next);
    auto done = std::move(r->done);
    done(ec, 0);
}

}  // namespace afs::netfs
