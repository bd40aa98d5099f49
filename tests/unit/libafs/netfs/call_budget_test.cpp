// The in-flight budget of an AFS upload: fewer calls first, then smaller ones; one shrink
// per round of calls; growth back by one call per round of successes.
#include <doctest/doctest.h>

#include <vector>

#include "libafs/netfs/call_budget.hpp"
#include "libafs/netfs/write_backend.hpp"

using afs::netfs::BudgetLimits;
using afs::netfs::CallBudget;

namespace {
constexpr uint64_t MiB = 1u << 20, KiB = 1u << 10;
}

TEST_CASE("a fresh budget allows every channel a full call") {
    CallBudget b;  // 8 calls of 4 MiB
    CHECK(b.calls() == 8);
    CHECK(b.call_bytes() == 4 * MiB);
    CHECK(b.bytes() == 32 * MiB);
    CHECK(b.max_bytes() == 32 * MiB);
    CHECK_FALSE(b.grow());  // already at the ceiling
}

TEST_CASE("shrinking takes calls away first, then makes them smaller, down to the floor") {
    CallBudget b;
    struct Step {
        uint32_t calls;
        uint64_t call_bytes;
    };
    const std::vector<Step> expected = {{4, 4 * MiB}, {2, 4 * MiB},   {1, 4 * MiB},   {1, 2 * MiB},
                                        {1, 1 * MiB}, {1, 512 * KiB}, {1, 256 * KiB}, {1, 256 * KiB}};
    for (size_t i = 0; i < expected.size(); ++i) {
        CAPTURE(i);
        const bool shrank = b.shrink(b.epoch());
        CHECK(shrank == (i + 1 < expected.size()));  // the last one is already at the floor
        CHECK(b.calls() == expected[i].calls);
        CHECK(b.call_bytes() == expected[i].call_bytes);
    }
    CHECK(b.bytes() == 256 * KiB);
}

TEST_CASE("calls that started before a shrink do not shrink the budget again") {
    CallBudget b;
    const uint64_t e = b.epoch();
    // Eight calls in flight all fail for the same congestion: one halving.
    CHECK(b.shrink(e));
    for (int i = 0; i < 7; ++i) CHECK_FALSE(b.shrink(e));
    CHECK(b.calls() == 4);
    // A call started under the new budget may shrink it again.
    CHECK(b.shrink(b.epoch()));
    CHECK(b.calls() == 2);
}

TEST_CASE("an odd budget halves to whole calls") {
    BudgetLimits l;
    l.max_calls = 3;  // 12 MiB
    CallBudget b(l);
    CHECK(b.calls() == 3);
    CHECK(b.shrink(b.epoch()));
    CHECK(b.bytes() == 4 * MiB);  // 6 MiB would waste 2 MiB: one 4 MiB call
    CHECK(b.calls() == 1);
}

TEST_CASE("growing back: doubling below one call, then one more call per round of successes") {
    CallBudget b;
    while (b.shrink(b.epoch())) {
    }
    REQUIRE(b.bytes() == 256 * KiB);
    // 256 KiB -> 512 KiB -> 1 MiB -> 2 MiB -> 4 MiB: one success each.
    for (uint64_t want : {512 * KiB, 1 * MiB, 2 * MiB, 4 * MiB}) {
        CHECK(b.grow());
        CHECK(b.bytes() == want);
        CHECK(b.calls() == 1);
    }
    // Then a round is as many successes as calls allowed: 1, 2, ..., 7 successes.
    int successes = 0;
    for (uint32_t calls = 1; calls < 8; ++calls) {
        for (uint32_t i = 1; i < calls; ++i) {
            CHECK_FALSE(b.grow());
            ++successes;
        }
        CHECK(b.grow());
        ++successes;
        CHECK(b.calls() == calls + 1);
        CHECK(b.call_bytes() == 4 * MiB);
    }
    CHECK(successes == 28);
    CHECK(b.bytes() == b.max_bytes());
    CHECK_FALSE(b.grow());
}

TEST_CASE("a shrink restarts the round of successes") {
    CallBudget b;
    b.shrink(b.epoch());  // 4 calls
    b.shrink(b.epoch());  // 2 calls
    CHECK_FALSE(b.grow());
    b.shrink(b.epoch());  // 1 call: the success before does not count
    CHECK(b.calls() == 1);
    CHECK(b.grow());      // a round of one
    CHECK(b.calls() == 2);
}

TEST_CASE("nonsense limits are made usable") {
    BudgetLimits l;
    l.max_calls = 0;
    l.max_call_bytes = 0;
    l.min_call_bytes = 0;
    l.granule = 0;
    CallBudget b(l);
    CHECK(b.calls() == 1);
    CHECK(b.call_bytes() >= 1);
    b.shrink(b.epoch());
    CHECK(b.call_bytes() >= 1);
    CHECK(b.calls() == 1);

    BudgetLimits odd;
    odd.max_call_bytes = 100 * KiB;   // not a multiple of the 64 KiB granule
    odd.min_call_bytes = 300 * KiB;   // above the maximum: the maximum follows it
    CallBudget c(odd);
    CHECK(c.call_bytes() == 300 * KiB);
}

TEST_CASE("the budget that fits a client: 4 call channels per connection") {
    afs::client::ClientOptions o;
    CHECK(afs::netfs::budget_for(o).max_calls == 8);  // 2 connections per (server, identity)
    o.connections_per_server = 3;
    const auto l = afs::netfs::budget_for(o, 1 * MiB);
    CHECK(l.max_calls == 12);
    CHECK(l.max_call_bytes == 1 * MiB);
    CallBudget b(l);
    CHECK(b.bytes() == 12 * MiB);
}
