// ACL text, both ways.
#include "libafs/wire/acl.hpp"

#include <charconv>
#include <limits>

namespace afs::wire {
namespace {

constexpr struct {
    char letter;
    uint32_t bit;
} right_letters[] = {
    {'r', PRSFS_READ},   {'l', PRSFS_LOOKUP}, {'i', PRSFS_INSERT}, {'d', PRSFS_DELETE}, {'w', PRSFS_WRITE},
    {'k', PRSFS_LOCK},   {'a', PRSFS_ADMINISTER}, {'A', PRSFS_USR0}, {'B', PRSFS_USR1}, {'C', PRSFS_USR2},
    {'D', PRSFS_USR3},   {'E', PRSFS_USR4}, {'F', PRSFS_USR5}, {'G', PRSFS_USR6}, {'H', PRSFS_USR7},
};

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f'; }

std::string_view trim(std::string_view s) {
    while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
    while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
    return s;
}

// A decimal integer filling all of `s`, within [lo, hi].
std::optional<int64_t> parse_integer(std::string_view s, int64_t lo, int64_t hi) {
    s = trim(s);
    int64_t v = 0;
    const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (s.empty() || ec != std::errc{} || end != s.data() + s.size() || v < lo || v > hi) return std::nullopt;
    return v;
}

// Cuts the next '\n'-terminated line off `text`; nullopt when no complete line is left.
std::optional<std::string_view> next_line(std::string_view& text) {
    const size_t nl = text.find('\n');
    if (nl == std::string_view::npos) return std::nullopt;
    const std::string_view line = text.substr(0, nl);
    text.remove_prefix(nl + 1);
    return line;
}

std::error_code check_name(std::string_view name) {
    if (name.empty()) return errc::bad_value;
    if (name.size() > acl_name_max) return errc::too_large;
    for (char c : name)
        if (static_cast<unsigned char>(c) <= ' ' || c == 0x7f) return errc::bad_value;
    return {};
}

}  // namespace

result<Acl> parse_acl(std::string_view text) {
    if (const size_t nul = text.find('\0'); nul != std::string_view::npos) text = text.substr(0, nul);

    // Each entry takes at least 4 characters ("a\t0\n"): larger counts cannot be honest.
    const int64_t max_entries = static_cast<int64_t>(text.size() / 4);
    std::optional<int64_t> counts[2];
    for (auto& count : counts) {
        const auto line = next_line(text);
        if (!line) return fail(errc::truncated);
        count = parse_integer(*line, 0, max_entries);
        if (!count) return fail(errc::bad_value);
    }
    if (*counts[0] + *counts[1] > max_entries) return fail(errc::bad_value);

    Acl acl;
    for (int sign = 0; sign < 2; ++sign) {
        auto& entries = sign == 0 ? acl.positive : acl.negative;
        for (int64_t i = 0; i < *counts[sign]; ++i) {
            const auto line = next_line(text);
            if (!line) return fail(errc::truncated);
            const std::string_view l = trim(*line);
            size_t split = 0;
            while (split < l.size() && !is_space(l[split])) ++split;
            const std::string_view name = l.substr(0, split);
            // Rights are printed as a signed int: USR7 alone reads -2147483648.
            const auto rights = parse_integer(l.substr(split), std::numeric_limits<int32_t>::min(),
                                              std::numeric_limits<uint32_t>::max());
            if (check_name(name) || !rights) return fail(errc::bad_value);
            entries.push_back({std::string(name), static_cast<uint32_t>(*rights)});
        }
    }
    if (!trim(text).empty()) return fail(errc::trailing_bytes);
    return acl;
}

result<std::string> format_acl(const Acl& acl) {
    std::string out = std::to_string(acl.positive.size()) + "\n" + std::to_string(acl.negative.size()) + "\n";
    for (const auto* entries : {&acl.positive, &acl.negative}) {
        for (const auto& e : *entries) {
            if (auto ec = check_name(e.name)) return fail(ec);
            out += e.name;
            out += '\t';
            out += std::to_string(static_cast<int32_t>(e.rights));
            out += '\n';
        }
    }
    return out;
}

std::string rights_to_string(uint32_t rights) {
    std::string out;
    for (const auto& r : right_letters)
        if (rights & r.bit) out += r.letter;
    return out;
}

std::optional<uint32_t> parse_rights(std::string_view text) {
    if (text == "none") return 0u;
    if (text == "read") return PRSFS_READ | PRSFS_LOOKUP;
    if (text == "write") return PRSFS_READ | PRSFS_LOOKUP | PRSFS_INSERT | PRSFS_DELETE | PRSFS_WRITE | PRSFS_LOCK;
    if (text == "all")
        return PRSFS_READ | PRSFS_LOOKUP | PRSFS_INSERT | PRSFS_DELETE | PRSFS_WRITE | PRSFS_LOCK | PRSFS_ADMINISTER;
    if (text.empty()) return std::nullopt;
    uint32_t rights = 0;
    for (char c : text) {
        bool known = false;
        for (const auto& r : right_letters)
            if (r.letter == c) rights |= r.bit, known = true;
        if (!known) return std::nullopt;
    }
    return rights;
}

}  // namespace afs::wire
