// Text for the AFS upload counters (see write_stats.hpp).
#include "libafs/netfs/write_stats.hpp"

namespace afs::netfs {

namespace {

std::string plural(uint64_t n, const char* one, const char* many) {
    return std::to_string(n) + " " + (n == 1 ? one : many);
}

}  // namespace

std::string AfsWriteStats::to_string() const {
    std::string out = "afs: " + plural(stores, "store", "stores") + " (" + std::to_string(stored) + " ok, " +
                      std::to_string(bytes) + " bytes), " + std::to_string(refused) + " refused, " +
                      plural(key_switches, "key switch", "key switches") + ", " +
                      plural(key_renewals, "key renewal", "key renewals") + ", " + std::to_string(busy) + " busy, " +
                      std::to_string(moved) + " moved, " + std::to_string(congestion) + " congestion, " +
                      std::to_string(failed) + " failed; budget " + std::to_string(budget_calls) + " x " +
                      std::to_string(budget_call_bytes) + " bytes (max " + std::to_string(budget_max_calls) +
                      " calls, lowest " + std::to_string(budget_min_bytes) + " bytes in " +
                      plural(budget_min_calls, "call", "calls") + ", " + std::to_string(budget_shrinks) + " shrinks)";
    for (const KeyStats& k : keys) {
        if (k.stores == 0) continue;
        out += "\n  as " + k.identity + ": " + plural(k.stores, "store", "stores") + ", " + std::to_string(k.bytes) +
               " bytes, " + std::to_string(k.refused) + " refused";
        if (k.refusal) out += " (" + k.refusal.message() + ")";
    }
    return out;
}

}  // namespace afs::netfs
