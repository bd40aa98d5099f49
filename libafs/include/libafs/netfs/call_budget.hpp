// How much an AFS upload keeps in flight: a budget of bytes, spent as StoreData64 calls.
//
// A fileserver serves each Rx call with one of its threads and one of our connection's four
// call channels, so what we may keep in flight is counted in calls (channels x connections)
// and in bytes per call. The budget is the product, in bytes:
//
//   budget  32 MiB  16 MiB   8 MiB   4 MiB   2 MiB   1 MiB  512 KiB  256 KiB (floor)
//   calls    8 x 4   4 x 4   2 x 4   1 x 4   1 x 2   1 x 1   1 x 0.5  1 x 0.25   (MiB per call)
//
// It halves when the server says it is busy or calls fail for congestion (fewer calls
// first, then smaller ones: a smaller call is likelier to get through a struggling
// server), and grows back by one call's worth after each round of successes (as many
// successes in a row as calls are allowed), TCP's additive increase. Below one full call it
// doubles per success instead, so a single blip costs little.
//
// Several calls in flight usually fail together for one cause; only the first failure of
// calls started under the current budget shrinks it (each shrink starts a new epoch, and
// callers pass the epoch their call started in).
//
// Pure and not thread-safe: the write backend guards it with its mutex.
#pragma once

#include <cstdint>

namespace afs::netfs {

struct BudgetLimits {
    uint32_t max_calls = 8;                  // Rx call channels x connections per (server, identity)
    uint64_t max_call_bytes = 4u << 20;      // what one StoreData64 should carry at most
    uint64_t min_call_bytes = 256u << 10;    // the floor: the smallest call and the smallest budget
    uint64_t granule = 64u << 10;            // call sizes are multiples of this (the floor excepted)
};

class CallBudget {
public:
    explicit CallBudget(BudgetLimits limits = {});

    const BudgetLimits& limits() const { return limits_; }
    uint64_t bytes() const { return bytes_; }       // the budget
    uint64_t max_bytes() const { return max_bytes_; }
    uint64_t call_bytes() const;                    // what one call carries now
    uint32_t calls() const;                         // calls allowed in flight now (1..max_calls)
    uint64_t epoch() const { return epoch_; }       // changes at every shrink

    // A call started in `call_epoch` met a busy server or congestion. Halves the budget
    // (down to the floor) unless it already shrank since that call started. True if it shrank.
    bool shrink(uint64_t call_epoch);
    // A call succeeded. True if the budget grew.
    bool grow();

private:
    BudgetLimits limits_;
    uint64_t max_bytes_;
    uint64_t bytes_;
    uint64_t epoch_ = 0;
    uint32_t successes_ = 0;  // in a row, since the budget last changed
};

}  // namespace afs::netfs
