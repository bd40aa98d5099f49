// The AFS write adapter for netfs-core (see write_backend.hpp).
#include "libafs/netfs/write_backend.hpp"

#include <algorithm>
#include <array>
#include <limits>

#include "key_attempts.hpp"
#include "libafs/netfs/call_errors.hpp"
#include "netfs/request.hpp"

namespace afs::netfs {

namespace {

// A request's key state lives in its two adapter slots (no allocation per request):
//   adapter_data[0]: the key in use (low 8 bits), a flag set when the fileserver refused
//                    it since the last retry pass, and (bits 32..63) which renewal of the
//                    key the refused call used;
//   adapter_data[1]: the keys this request has tried, one bit each.
// They are read and written under the backend's mutex only.
constexpr uintptr_t key_mask = 0xff;
constexpr uintptr_t refused_flag = 0x100;
constexpr int generation_shift = 32;

size_t key_of(const ::netfs::WriteRequest& req) { return req.adapter_data[0] & key_mask; }
bool was_refused(const ::netfs::WriteRequest& req) { return (req.adapter_data[0] & refused_flag) != 0; }
uint32_t refused_generation(const ::netfs::WriteRequest& req) {
    return static_cast<uint32_t>(static_cast<uint64_t>(req.adapter_data[0]) >> generation_shift);
}
void set_refused(::netfs::WriteRequest& req, uint32_t generation) {
    req.adapter_data[0] = (req.adapter_data[0] & key_mask) | refused_flag |
                          static_cast<uintptr_t>(uint64_t{generation} << generation_shift);
}
void set_key(::netfs::WriteRequest& req, size_t k) { req.adapter_data[0] = static_cast<uintptr_t>(k); }
uint64_t tried_of(const ::netfs::WriteRequest& req) { return static_cast<uint64_t>(req.adapter_data[1]); }
uint64_t bit(size_t k) { return uint64_t{1} << k; }

// A FileLength that never cuts: the fileserver takes min(current length, FileLength).
constexpr uint64_t never_cut = static_cast<uint64_t>(std::numeric_limits<int64_t>::max());

}  // namespace

BudgetLimits budget_for(const client::ClientOptions& options, uint64_t max_call_bytes) {
    constexpr size_t channels_per_connection = 4;  // Rx's RX_MAXCALLS
    BudgetLimits l;
    l.max_calls = static_cast<uint32_t>(std::clamp<size_t>(options.connections_per_server, 1, 64) * channels_per_connection);
    l.max_call_bytes = max_call_bytes;
    return l;
}

struct AfsWriteBackend::Issued {
    size_t key = 0;
    uint32_t generation = 0;  // which renewal of the key the call used (0: the one supplied)
    uint64_t epoch = 0;     // the budget's epoch when the call started
    uint64_t want = 0;      // bytes the call carries
    ::netfs::WriteRequest* req = nullptr;
};

result<std::unique_ptr<AfsWriteBackend>> AfsWriteBackend::create(std::shared_ptr<client::Client> client,
                                                                 client::FileRef file,
                                                                 std::vector<client::Identity> keys,
                                                                 WriteOptions options) {
    if (!client || keys.empty() || keys.size() > KeyOrder::max_keys) return fail(errc::bad_value);
    if (std::any_of(keys.begin(), keys.end(), [](const client::Identity& k) { return !k; }))
        return fail(errc::bad_value);
    return std::unique_ptr<AfsWriteBackend>(
        new AfsWriteBackend(std::move(client), std::move(file), std::move(keys), std::move(options)));
}

AfsWriteBackend::AfsWriteBackend(std::shared_ptr<client::Client> client, client::FileRef file,
                                 std::vector<client::Identity> keys, WriteOptions options)
    : client_(std::move(client)),
      file_(std::move(file)),
      keys_(std::move(keys)),
      options_(std::move(options)),
      budget_(options_.budget),
      order_(keys_.size()),
      generation_(keys_.size(), 0) {
    for (const auto& k : keys_) stats_.keys.push_back(KeyStats{client::describe(k), 0, 0, 0, {}});
    stats_.budget_max_calls = budget_.limits().max_calls;
    stats_.budget_min_bytes = budget_.bytes();
    stats_.budget_min_calls = budget_.calls();
    note_budget_locked();
}

AfsWriteBackend::~AfsWriteBackend() = default;

uint64_t AfsWriteBackend::max_in_flight_bytes() const {
    std::lock_guard lock(mu_);
    return budget_.max_bytes();
}

void AfsWriteBackend::set_mtime(std::optional<uint32_t> mtime) {
    std::lock_guard lock(mu_);
    options_.mtime = mtime;
}

void AfsWriteBackend::set_file_length(std::optional<uint64_t> length) {
    std::lock_guard lock(mu_);
    options_.file_length = length;
}

void AfsWriteBackend::prefer_key(size_t k) {
    std::lock_guard lock(mu_);
    order_.succeeded(k);
}

AfsWriteStats AfsWriteBackend::stats() const {
    std::lock_guard lock(mu_);
    return stats_;
}

std::string AfsWriteBackend::failure() const {
    std::lock_guard lock(mu_);
    return failure_;
}

std::optional<wire::AFSFetchStatus> AfsWriteBackend::last_status() const {
    std::lock_guard lock(mu_);
    return last_status_;
}

size_t AfsWriteBackend::key_in_use() const {
    std::lock_guard lock(mu_);
    return order_.first();
}

std::string AfsWriteBackend::target() const {
    return options_.name.empty() ? file_.to_string() : options_.name + " (" + file_.to_string() + ")";
}

void AfsWriteBackend::note_budget_locked() {
    stats_.budget_calls = budget_.calls();
    stats_.budget_call_bytes = budget_.call_bytes();
    stats_.budget_bytes = budget_.bytes();
    if (budget_.bytes() < stats_.budget_min_bytes) {
        stats_.budget_min_bytes = budget_.bytes();
        stats_.budget_min_calls = budget_.calls();
    }
}

std::error_code AfsWriteBackend::begin_request(::netfs::WriteRequest& req, uint8_t) {
    std::lock_guard lock(mu_);
    set_key(req, order_.first());
    req.adapter_data[1] = 0;
    return {};
}

std::error_code AfsWriteBackend::prepare_write(::netfs::Subrequest&, ::netfs::Limits& limits) {
    std::unique_lock lock(mu_);
    // Wait for a call to be free, so that the subrequest is sized by the budget it will be
    // sent under. The call itself is taken in issue_write: a subrequest being filled must
    // not hold one (the retryer prepares several pieces before issuing any).
    cv_.wait(lock, [&] { return in_flight_ < budget_.calls(); });
    limits.max_len = budget_.call_bytes();
    limits.max_segs = ::netfs::max_segments;
    return {};
}

uint64_t AfsWriteBackend::file_length_for(const ::netfs::Subrequest& sreq) const {
    if (!options_.file_length) return never_cut;
    const uint64_t end = sreq.position() + sreq.remaining();
    return std::max({*options_.file_length, sreq.request().file_size(), end});
}

void AfsWriteBackend::issue_write(::netfs::Subrequest& sreq) {
    Issued call;
    client::StoreParams params;
    client::Identity who;
    {
        std::unique_lock lock(mu_);
        cv_.wait(lock, [&] { return in_flight_ < budget_.calls(); });
        ++in_flight_;
        call.key = key_of(sreq.request());
        call.generation = generation_[call.key];
        call.epoch = budget_.epoch();
        call.want = sreq.remaining();
        call.req = &sreq.request();
        params.position = sreq.position();
        params.file_length = file_length_for(sreq);
        params.mtime = options_.mtime;
        params.fsync = options_.fsync;
        who = keys_[call.key];
        ++stats_.stores;
        ++stats_.keys[call.key].stores;
    }
    std::array<std::span<const std::byte>, ::netfs::max_segments> pieces;
    const size_t n = sreq.gather(pieces);
    client_->async_store_data(std::move(who), file_, params,
                              std::span<const std::span<const std::byte>>(pieces.data(), n),
                              [this, &sreq, call](std::error_code ec, client::StoreReply reply) {
                                  stored(sreq, call, ec, std::move(reply));
                              });
}

void AfsWriteBackend::stored(::netfs::Subrequest& sreq, const Issued& call, std::error_code ec,
                             client::StoreReply reply) {
    const CallFailure what = classify_call(ec);
    ::netfs::RetryHint hint = ::netfs::RetryHint::by_error;
    {
        std::lock_guard lock(mu_);
        --in_flight_;
        switch (what) {
            case CallFailure::none:
                order_.succeeded(call.key);
                transient_passes_ = 0;
                ++stats_.stored;
                stats_.bytes += call.want;
                stats_.keys[call.key].bytes += call.want;
                renewed_ &= ~bit(call.key);  // a renewed key that works may be renewed again later
                if (!last_status_ || reply.status.data_version() > last_status_->data_version())
                    last_status_ = reply.status;
                // More than one attempt: the client waited out a busy volume (or found a
                // moved one) before this store went through. The server is struggling.
                if (reply.outcome.attempts > 1) {
                    ++stats_.busy;
                    if (budget_.shrink(call.epoch)) ++stats_.budget_shrinks;
                } else if (budget_.grow()) {
                    ++stats_.budget_grows;
                }
                break;
            case CallFailure::key:
                if (call.generation != generation_[call.key]) {
                    // The ticket this call carried has been renewed since: not a refusal of
                    // the key as it is now. The retry pass sends it again with the new one.
                    hint = ::netfs::RetryHint::retry;
                    break;
                }
                order_.refused(call.key);
                ++stats_.refused;
                ++stats_.keys[call.key].refused;
                stats_.keys[call.key].refusal = ec;
                // Only a refusal of the key the request uses now says "move on" (a call
                // started with an older key cannot be in flight at a retry pass, but be sure).
                if (key_of(*call.req) == call.key) set_refused(*call.req, call.generation);
                hint = ::netfs::RetryHint::retry;
                break;
            case CallFailure::busy:
            case CallFailure::moved:
            case CallFailure::congestion:
                if (what == CallFailure::busy) ++stats_.busy;
                else if (what == CallFailure::moved) ++stats_.moved;
                else ++stats_.congestion;
                if (what != CallFailure::moved && budget_.shrink(call.epoch)) ++stats_.budget_shrinks;
                hint = ::netfs::RetryHint::retry;
                break;
            case CallFailure::silent:
            case CallFailure::permanent:
                ++stats_.failed;
                break;
        }
        if (ec) {
            last_outcome_ = reply.outcome;
            if (what == CallFailure::permanent || what == CallFailure::silent) {
                client::Outcome o = reply.outcome;
                o.target = options_.name.empty() ? o.target : options_.name + " (" + o.target + ")";
                failure_ = o.message(ec);
            }
        }
        if (hint == ::netfs::RetryHint::retry) ++stats_.retries;
        note_budget_locked();
    }
    cv_.notify_all();
    if (ec) sreq.terminate(ec, hint);
    else sreq.terminate(call.want);
}

std::vector<client::Identity> AfsWriteBackend::keys() const {
    std::lock_guard lock(mu_);
    return keys_;
}

::netfs::RetryDecision AfsWriteBackend::retry_request(::netfs::WriteRequest& req, uint8_t, std::error_code cause) {
    std::unique_lock lock(mu_);
    if (was_refused(req) && refused_generation(req) != generation_[key_of(req)]) {
        // Refused with a ticket another request's retry pass has renewed since: go on with
        // the renewed key.
        set_key(req, key_of(req));
        return ::netfs::RetryDecision::retry;
    }
    if (was_refused(req) && options_.renew_key && !(renewed_ & bit(key_of(req)))) {
        // An expired ticket is better renewed than abandoned: the same principal goes on.
        const size_t k = key_of(req);
        renewed_ |= bit(k);
        lock.unlock();
        client::Identity fresh = options_.renew_key(k);
        lock.lock();
        if (fresh) {
            keys_[k] = std::move(fresh);
            ++generation_[k];
            stats_.keys[k].identity = client::describe(keys_[k]);
            ++stats_.key_renewals;
            set_key(req, k);  // clears the refused flag: the same key again
            return ::netfs::RetryDecision::retry;
        }
    }
    if (was_refused(req)) {
        const size_t refused = key_of(req);
        const uint64_t tried = tried_of(req) | bit(refused);
        req.adapter_data[1] = static_cast<uintptr_t>(tried);
        const auto next = order_.next(tried);
        if (!next) {
            ++stats_.keys_exhausted;
            ++stats_.failed;
            std::vector<detail::KeyAttempt> attempts;
            for (size_t k = 0; k < keys_.size(); ++k)
                if (tried & bit(k)) attempts.push_back({stats_.keys[k].identity, stats_.keys[k].refusal});
            client::Outcome o = last_outcome_;
            o.operation = "RXAFS_StoreData64";
            o.target = target();
            o.attempts = 0;
            failure_ = detail::all_keys_failed(attempts, std::move(o)).message();
            set_key(req, refused);
            return ::netfs::RetryDecision::fail;
        }
        set_key(req, *next);  // also clears the refused flag
        ++stats_.key_switches;
        return ::netfs::RetryDecision::retry;
    }
    switch (classify_call(cause)) {
        case CallFailure::busy:
        case CallFailure::moved:
        case CallFailure::congestion:
            if (++transient_passes_ > options_.max_transient_retries) {
                ++stats_.failed;
                client::Outcome o = last_outcome_;
                o.target = target();
                failure_ = o.message(cause) + " (given up after " + std::to_string(transient_passes_) +
                           " retry passes without a successful store)";
                return ::netfs::RetryDecision::fail;
            }
            break;
        default: break;
    }
    return ::netfs::RetryDecision::retry;
}

}  // namespace afs::netfs
