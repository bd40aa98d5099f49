#include "location.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>

namespace netcp {
namespace {

bool looks_like_url(std::string_view s) {
    auto colon = s.find("://");
    if (colon == std::string_view::npos || colon == 0) return false;
    // RFC 3986 schemes start with a letter, but "9p" does not: accept any alphanumeric.
    if (!std::isalnum(static_cast<unsigned char>(s[0]))) return false;
    return std::all_of(s.begin(), s.begin() + static_cast<ptrdiff_t>(colon), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) || c == '+' || c == '-' || c == '.';
    });
}

int hexval(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

std::string percent_decode(std::string_view s) {
    std::string out;
    for (size_t i = 0; i < s.size(); ++i) {
        if (s[i] == '%' && i + 2 < s.size() && hexval(s[i + 1]) >= 0 && hexval(s[i + 2]) >= 0) {
            out += static_cast<char>(hexval(s[i + 1]) * 16 + hexval(s[i + 2]));
            i += 2;
        } else {
            out += s[i];
        }
    }
    return out;
}

// Joins the non-empty, non-"." components with '/'.
std::string normalise(std::string_view path) {
    std::string out;
    size_t i = 0;
    while (i <= path.size()) {
        size_t j = path.find('/', i);
        if (j == std::string_view::npos) j = path.size();
        auto part = path.substr(i, j - i);
        if (!part.empty() && part != ".") {
            if (!out.empty()) out += '/';
            out += part;
        }
        i = j + 1;
    }
    return out;
}

// afs://CELL/PATH: the cell is the whole authority (cell names are case-insensitive and
// stored lower case, as OpenAFS does); no user or port, which come from the options.
tl::expected<Location, std::string> parse_afs(Location loc, std::string_view rest) {
    loc.kind = Location::Kind::afs;
    const auto slash = rest.find('/');
    std::string cell(rest.substr(0, slash));
    if (cell.empty())
        return tl::unexpected<std::string>("no cell in '" + loc.text + "': write afs://CELL/PATH (for /afs/CELL/PATH)");
    if (cell.find_first_of("@:[]") != std::string::npos)
        return tl::unexpected<std::string>("bad cell name '" + cell + "' in '" + loc.text +
                                           "': write afs://CELL/PATH; the VL server is chosen with --vlserver or "
                                           "--cellservdb, the user with --user");
    std::transform(cell.begin(), cell.end(), cell.begin(), [](unsigned char c) { return std::tolower(c); });
    loc.host = std::move(cell);
    loc.port = 0;
    const std::string decoded = percent_decode(slash == std::string_view::npos ? std::string_view{} : rest.substr(slash));
    loc.trailing_slash = decoded.size() > 1 && decoded.back() == '/';
    loc.path = normalise(decoded);
    return loc;
}

}  // namespace

tl::expected<Location, std::string> parse_location(std::string_view operand) {
    Location loc;
    loc.text = std::string(operand);
    if (operand.empty()) return tl::unexpected<std::string>("empty path");
    if (!looks_like_url(operand)) {
        loc.kind = Location::Kind::local;
        loc.path = std::string(operand);
        loc.trailing_slash = operand.size() > 1 && operand.back() == '/';
        return loc;
    }
    const auto sep = operand.find("://");
    std::string scheme(operand.substr(0, sep));
    std::transform(scheme.begin(), scheme.end(), scheme.begin(), [](unsigned char c) { return std::tolower(c); });
    if (scheme != "9p" && scheme != "afs")
        return tl::unexpected<std::string>("unsupported URL scheme '" + scheme + "://' in '" + loc.text +
                                           "' (netcp speaks 9p:// and afs://)");
    std::string_view rest = operand.substr(sep + 3);
    if (scheme == "afs") return parse_afs(std::move(loc), rest);
    loc.kind = Location::Kind::ninep;
    const auto slash = rest.find('/');
    std::string_view authority = rest.substr(0, slash);
    std::string_view path = slash == std::string_view::npos ? std::string_view{} : rest.substr(slash);

    if (auto at = authority.rfind('@'); at != std::string_view::npos) {
        loc.uname = percent_decode(authority.substr(0, at));
        authority = authority.substr(at + 1);
    }
    std::string_view port_text;
    if (!authority.empty() && authority.front() == '[') {
        auto close = authority.find(']');
        if (close == std::string_view::npos)
            return tl::unexpected<std::string>("unterminated IPv6 address in '" + loc.text + "'");
        loc.host = std::string(authority.substr(1, close - 1));
        auto after = authority.substr(close + 1);
        if (!after.empty()) {
            if (after.front() != ':') return tl::unexpected<std::string>("bad address in '" + loc.text + "'");
            port_text = after.substr(1);
        }
    } else {
        auto colon = authority.find(':');
        if (colon != std::string_view::npos && authority.find(':', colon + 1) != std::string_view::npos)
            return tl::unexpected<std::string>("IPv6 addresses must be in brackets, as in 9p://[::1]/path: '" +
                                               loc.text + "'");
        loc.host = std::string(authority.substr(0, colon));
        if (colon != std::string_view::npos) port_text = authority.substr(colon + 1);
    }
    if (!port_text.empty() || authority.ends_with(":")) {
        unsigned port = 0;
        auto [p, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
        if (ec != std::errc{} || p != port_text.data() + port_text.size() || port == 0 || port > 65535)
            return tl::unexpected<std::string>("bad port '" + std::string(port_text) + "' in '" + loc.text + "'");
        loc.port = static_cast<uint16_t>(port);
    }
    const std::string decoded = percent_decode(path);
    loc.trailing_slash = decoded.size() > 1 && decoded.back() == '/';
    loc.path = normalise(decoded);
    return loc;
}

Location child(const Location& parent, std::string_view name) {
    Location c = parent;
    c.trailing_slash = false;
    if (parent.is_remote()) {
        c.path = parent.path.empty() ? std::string(name) : parent.path + "/" + std::string(name);
    } else {
        c.path = parent.path;
        if (!c.path.empty() && c.path.back() != '/') c.path += '/';
        c.path += name;
    }
    c.text = describe(c);
    return c;
}

std::string describe(const Location& loc) {
    if (!loc.is_remote()) return loc.path;
    if (loc.kind == Location::Kind::afs) return "afs://" + loc.host + "/" + loc.path;
    std::string host = loc.host.find(':') != std::string::npos ? "[" + loc.host + "]" : loc.host;
    return "9p://" + host + (loc.port != 564 ? ":" + std::to_string(loc.port) : "") + "/" + loc.path;
}

}  // namespace netcp
