// Messages for an operation that every supplied key failed: they name each key and what it
// got, so a user sees at once which identities were tried.
#pragma once

#include <algorithm>
#include <span>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

#include "libafs/client/identity.hpp"
#include "libafs/client/outcome.hpp"
#include "libafs/error.hpp"
#include "libafs/netfs/call_errors.hpp"

namespace afs::netfs::detail {

struct KeyAttempt {
    std::string identity;   // client::describe(key)
    std::error_code error;
};

// "rxkad crypt as alice@test.afs (kvno 3)" for one key; "any of A, B" when every key got
// the same error; "A (Permission denied), then B (RXKADEXPIRED ...)" otherwise. Meant as
// Outcome::identity, so that Outcome::message reads "... as any of A, B: Permission denied".
std::string describe_attempts(const std::vector<KeyAttempt>& attempts);

// `last` (the outcome of the last attempt) speaking for all of them, and the error to report
// with it (the last one's).
client::Error all_keys_failed(const std::vector<KeyAttempt>& attempts, client::Outcome last);

}  // namespace afs::netfs::detail

namespace afs::netfs::detail {

// Runs `call(key)` with each key, `first` then the others in the order supplied, until one
// succeeds or fails for another reason than the key (a missing file is missing for every
// key). Returns the result and the index of the key that got it; when every key was
// refused, an error naming each. `call` returns client::Result<T>.
template <class T, class Call>
client::Result<std::pair<T, size_t>> try_keys(std::span<const client::Identity> keys, size_t first, Call&& call) {
    if (keys.empty()) return tl::unexpected(client::Error{make_error_code(errc::bad_value), client::Outcome{}});
    first = std::min(first, keys.size() - 1);
    std::vector<KeyAttempt> attempts;
    client::Outcome last;
    for (size_t i = 0; i < keys.size(); ++i) {
        const size_t k = i == 0 ? first : (i <= first ? i - 1 : i);
        client::Result<T> r = call(keys[k]);
        if (r) return std::pair<T, size_t>(std::move(*r), k);
        if (classify_call(r.error().code) != CallFailure::key || keys.size() == 1) return tl::unexpected(std::move(r.error()));
        attempts.push_back({client::describe(keys[k]), r.error().code});
        last = std::move(r.error().outcome);
    }
    return tl::unexpected(all_keys_failed(attempts, std::move(last)));
}

}  // namespace afs::netfs::detail
