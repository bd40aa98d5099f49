// netcp's resume journals: parse_journal() reads a file that lies where others may write
// (a download's journal sits in its destination directory). Whatever it accepts must name
// one path component and format back to a journal that parses to the same record.
#include <string>
#include <string_view>

#include "fuzz_common.hpp"
#include "resume_journal.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const std::string_view text = netcp_fuzz::text(data, size);
    auto record = netcp::parse_journal(text);
    if (!record) return 0;
    FUZZ_CHECK(!record->partial.empty() && record->partial.find('/') == std::string::npos);
    FUZZ_CHECK(record->partial != "." && record->partial != "..");
    FUZZ_CHECK(record->transfer.is_object());
    auto again = netcp::parse_journal(netcp::format_journal(*record));
    FUZZ_CHECK(again.has_value());
    FUZZ_CHECK(again->prefix == record->prefix && again->partial_id == record->partial_id);
    return 0;
}
