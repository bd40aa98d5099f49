// Messages naming every key tried (see key_attempts.hpp).
#include "key_attempts.hpp"

#include <algorithm>

namespace afs::netfs::detail {

std::string describe_attempts(const std::vector<KeyAttempt>& attempts) {
    if (attempts.empty()) return "no identity";
    if (attempts.size() == 1) return attempts.front().identity;
    const bool same = std::all_of(attempts.begin(), attempts.end(),
                                  [&](const KeyAttempt& a) { return a.error == attempts.front().error; });
    std::string out = same ? "any of " : "";
    for (size_t i = 0; i < attempts.size(); ++i) {
        if (i > 0) out += same ? ", " : ", then ";
        out += attempts[i].identity;
        if (!same) out += " (" + attempts[i].error.message() + ")";
    }
    return out;
}

client::Error all_keys_failed(const std::vector<KeyAttempt>& attempts, client::Outcome last) {
    last.identity = describe_attempts(attempts);
    const std::error_code ec = attempts.empty() ? std::error_code{} : attempts.back().error;
    return client::Error{ec, std::move(last)};
}

}  // namespace afs::netfs::detail
