// CellServDB text: parse_cellservdb() and parse_server_address(). Every cell must have a
// valid name, and each server's address must parse again from its printed form.
#include <string>

#include "fuzz_common.hpp"
#include "libafs/client/cell_config.hpp"
#include "libafs/wire/path.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const auto text = netcp_fuzz::text(data, size);
    if (auto cells = afs::client::parse_cellservdb(text)) {
        for (const auto& c : *cells) {
            FUZZ_CHECK(afs::wire::is_valid_cell_name(c.name));
            for (const auto& ep : c.vl_servers) {
                const std::string printed = ep.address().is_v6()
                                                ? "[" + ep.address().to_string() + "]:" + std::to_string(ep.port())
                                                : ep.address().to_string() + ":" + std::to_string(ep.port());
                auto again = afs::client::parse_server_address(printed);
                FUZZ_CHECK(again.has_value() && *again == ep);
            }
        }
    }
    // The first line alone as a --vlserver value.
    const auto line = text.substr(0, text.find('\n'));
    if (auto ep = afs::client::parse_server_address(line)) (void)ep->port();
    return 0;
}
