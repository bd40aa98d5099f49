// Cell configuration: server addresses and CellServDB files.
#include "libafs/client/cell_config.hpp"

#include <algorithm>
#include <charconv>
#include <fstream>
#include <sstream>

#include <asio/ip/address.hpp>

#include "libafs/wire/path.hpp"

namespace afs::client {
namespace {

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\r')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
    return s;
}

std::string lower(std::string_view s) {
    std::string out(s);
    std::transform(out.begin(), out.end(), out.begin(),
                   [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; });
    return out;
}

std::optional<uint16_t> parse_port(std::string_view s) {
    uint16_t port = 0;
    const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), port);
    if (s.empty() || ec != std::errc{} || end != s.data() + s.size() || port == 0) return std::nullopt;
    return port;
}

}  // namespace

result<asio::ip::udp::endpoint> parse_server_address(std::string_view text, uint16_t default_port) {
    text = trim(text);
    std::string_view host = text;
    uint16_t port = default_port;
    if (text.starts_with('[')) {
        // [v6]:port or [v6]
        const size_t close = text.find(']');
        if (close == std::string_view::npos) return fail(errc::bad_value);
        host = text.substr(1, close - 1);
        std::string_view rest = text.substr(close + 1);
        if (!rest.empty()) {
            if (!rest.starts_with(':')) return fail(errc::bad_value);
            auto p = parse_port(rest.substr(1));
            if (!p) return fail(errc::bad_value);
            port = *p;
        }
    } else if (std::count(text.begin(), text.end(), ':') == 1) {
        const size_t colon = text.find(':');
        host = text.substr(0, colon);
        auto p = parse_port(text.substr(colon + 1));
        if (!p) return fail(errc::bad_value);
        port = *p;
    }
    std::error_code ec;
    const auto address = asio::ip::make_address(std::string(host), ec);
    if (ec) return fail(errc::bad_value);
    return asio::ip::udp::endpoint(address, port);
}

result<CellConfig> make_cell(std::string_view name, const std::vector<std::string>& vl_servers) {
    if (!wire::is_valid_cell_name(name)) return fail(errc::bad_value);
    CellConfig cell{lower(name), {}};
    for (const auto& s : vl_servers) {
        auto ep = parse_server_address(s);
        if (!ep) return fail(ep.error());
        cell.vl_servers.push_back(*ep);
    }
    return cell;
}

result<std::vector<CellConfig>> parse_cellservdb(std::string_view text) {
    std::vector<CellConfig> cells;
    while (!text.empty()) {
        // Bounded by the text: each pass consumes one line.
        const size_t nl = text.find('\n');
        std::string_view line = text.substr(0, nl);
        text = nl == std::string_view::npos ? std::string_view{} : text.substr(nl + 1);
        // The comment after '#' names the host; only the address before it counts.
        line = trim(line);
        if (line.empty() || line.starts_with('#')) continue;
        if (line.starts_with('>')) {
            std::string_view name = line.substr(1);
            name = trim(name.substr(0, name.find('#')));
            if (!wire::is_valid_cell_name(name)) return fail(errc::bad_value);
            cells.push_back(CellConfig{lower(name), {}});
            continue;
        }
        if (cells.empty()) return fail(errc::bad_value);
        const std::string_view address = trim(line.substr(0, line.find('#')));
        auto ep = parse_server_address(address);
        if (!ep) return fail(ep.error());
        cells.back().vl_servers.push_back(*ep);
    }
    return cells;
}

result<std::vector<CellConfig>> load_cellservdb(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) return fail(std::make_error_code(std::errc::no_such_file_or_directory));
    std::ostringstream text;
    text << in.rdbuf();
    if (in.bad()) return fail(std::make_error_code(std::errc::io_error));
    return parse_cellservdb(text.str());
}

}  // namespace afs::client
