// Which of the identities (keys) a caller supplied should write one AFS file, and which to
// try next when the fileserver refuses one.
//
// An upload may hold several keys (the user's own, a service key, anonymous...) and not
// know which one the directory's ACL lets write. Each write request starts with the key
// most likely to work and moves on when one is refused:
//
//   first():   the key that last stored into this file, else another that has, else the
//              first supplied that was not refused here, else the first supplied;
//   next():    among the keys this request has not tried yet: those that have written this
//              file, then those never refused here, then the refused ones (a refusal may
//              have been for another reason, and the error lists every key tried), each
//              group in the order supplied.
//
// Knowledge is per file: "succeeded" and "refused" are about this file only; a success
// clears a key's refusal (an ACL can change, a token can be renewed). The read side uses
// the same order ("succeeded" then means a fetch worked).
//
// Pure and not thread-safe: the write backend guards it with its mutex.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

namespace afs::netfs {

class KeyOrder {
public:
    // A request remembers the keys it tried as bits of a 64-bit word.
    static constexpr size_t max_keys = 64;

    explicit KeyOrder(size_t keys);

    size_t size() const { return state_.size(); }
    size_t first() const;
    std::optional<size_t> next(uint64_t tried) const;

    // A store (or a fetch) with key k succeeded.
    void succeeded(size_t k);
    // The fileserver refused key k for this file (ACL, expired or rejected ticket).
    void refused(size_t k);

    bool has_succeeded(size_t k) const { return k < size() && state_[k].good; }
    bool is_refused(size_t k) const { return k < size() && state_[k].refused; }

private:
    struct State {
        bool good = false;  // a call with it succeeded on this file
        bool refused = false;
    };
    std::vector<State> state_;
    std::optional<size_t> last_good_;  // the key of the latest successful call
};

}  // namespace afs::netfs
