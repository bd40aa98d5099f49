// Which VL servers serve a cell: configured by address, or read from a CellServDB file
//
//     >test.afs            #netcp test cell
//     127.1.0.1            #afsdb1.test.afs
//
// (a ">cell" line, then one "address #hostname" line per database server; the address is
// what we use, the hostname comment is ignored).
#pragma once

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include <asio/ip/udp.hpp>

#include "libafs/error.hpp"

namespace afs::client {

struct CellConfig {
    std::string name;                                 // lower case
    std::vector<asio::ip::udp::endpoint> vl_servers;  // tried in order
    bool operator==(const CellConfig&) const = default;
};

// "127.1.0.1:7003", "127.1.0.1" (port 7003), "[::1]:7003". errc::bad_value otherwise.
result<asio::ip::udp::endpoint> parse_server_address(std::string_view text, uint16_t default_port = 7003);

// A cell from a name and "addr[:port]" strings; errc::bad_value for a bad name or address.
result<CellConfig> make_cell(std::string_view name, const std::vector<std::string>& vl_servers);

// Every cell of a CellServDB text. Blank lines and lines starting with '#' are skipped; a
// server line before any ">cell" line, a bad cell name or a bad address is errc::bad_value.
// A cell with no server lines is kept (with no servers).
result<std::vector<CellConfig>> parse_cellservdb(std::string_view text);
result<std::vector<CellConfig>> load_cellservdb(const std::filesystem::path& path);

}  // namespace afs::client
