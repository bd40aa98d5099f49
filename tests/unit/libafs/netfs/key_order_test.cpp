// Which key an AFS write starts with and which it tries next after a refusal.
#include <doctest/doctest.h>

#include <vector>

#include "libafs/netfs/key_order.hpp"

using afs::netfs::KeyOrder;

namespace {

uint64_t bit(size_t k) { return uint64_t{1} << k; }

// The keys a request tries, in order, when every one is refused.
std::vector<size_t> order_tried(const KeyOrder& order) {
    std::vector<size_t> out{order.first()};
    uint64_t tried = bit(out.back());
    while (auto n = order.next(tried)) {
        out.push_back(*n);
        tried |= bit(*n);
    }
    return out;
}

}  // namespace

TEST_CASE("with nothing known: the keys in the order supplied") {
    KeyOrder o(3);
    CHECK(o.first() == 0);
    CHECK(order_tried(o) == std::vector<size_t>{0, 1, 2});
    CHECK_FALSE(o.next(bit(0) | bit(1) | bit(2)).has_value());
}

TEST_CASE("a key that wrote the file comes first, and first among the next ones") {
    KeyOrder o(4);
    o.succeeded(2);
    CHECK(o.first() == 2);
    CHECK(order_tried(o) == std::vector<size_t>{2, 0, 1, 3});
    // Two writers: the latest first, the other one next, then the rest.
    o.succeeded(3);
    CHECK(o.first() == 3);
    CHECK(order_tried(o) == std::vector<size_t>{3, 2, 0, 1});
    // A request that started with 0 (before anything was known) moves to the writers first.
    CHECK(o.next(bit(0)) == 2u);
}

TEST_CASE("refused keys go last, and a success clears a refusal") {
    KeyOrder o(3);
    o.refused(0);
    CHECK(o.first() == 1);
    CHECK(order_tried(o) == std::vector<size_t>{1, 2, 0});
    o.succeeded(2);
    o.refused(2);  // e.g. its ticket expired after it wrote
    CHECK(o.first() == 1);
    CHECK(order_tried(o) == std::vector<size_t>{1, 0, 2});
    o.succeeded(0);
    CHECK(o.first() == 0);
    CHECK_FALSE(o.is_refused(0));
    CHECK(o.has_succeeded(0));
    CHECK(o.is_refused(2));
}

TEST_CASE("every key refused: start with the first supplied and try them all") {
    KeyOrder o(2);
    o.refused(0);
    o.refused(1);
    CHECK(o.first() == 0);
    CHECK(order_tried(o) == std::vector<size_t>{0, 1});
}

TEST_CASE("the expired writer: its replacement is next, then it is skipped") {
    // [short-lived bob, long-lived bob]: the first writes, expires, the second takes over.
    KeyOrder o(2);
    o.succeeded(0);
    CHECK(o.first() == 0);
    o.refused(0);
    CHECK(o.next(bit(0)) == 1u);
    o.succeeded(1);
    CHECK(o.first() == 1);
    CHECK(order_tried(o) == std::vector<size_t>{1, 0});
}

TEST_CASE("at most 64 keys, and out-of-range indices are ignored") {
    KeyOrder o(100);
    CHECK(o.size() == KeyOrder::max_keys);
    o.succeeded(70);
    o.refused(80);
    CHECK(o.first() == 0);
    uint64_t all = ~uint64_t{0};
    CHECK_FALSE(o.next(all).has_value());
    CHECK(o.next(all & ~bit(63)) == 63u);
}
