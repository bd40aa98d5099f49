// Parsing AFS paths, mount points and volume names.
#include "libafs/wire/path.hpp"

#include <algorithm>
#include <charconv>

namespace afs::wire {
namespace {

constexpr std::string_view afs_prefix = "/afs/";
constexpr std::string_view url_prefix = "afs://";
constexpr std::string_view ro_suffix = ".readonly";
constexpr std::string_view bk_suffix = ".backup";
constexpr size_t max_cell_name = 64;
constexpr size_t max_volume_name = 64;  // VL_MAXNAMELEN without its NUL

int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

std::string percent_decode(std::string_view s) {
    std::string out;
    for (size_t i = 0; i < s.size(); ++i) {
        if (s[i] == '%' && i + 2 < s.size() && hex_value(s[i + 1]) >= 0 && hex_value(s[i + 2]) >= 0) {
            out += static_cast<char>(hex_value(s[i + 1]) << 4 | hex_value(s[i + 2]));
            i += 2;
        } else {
            out += s[i];
        }
    }
    return out;
}

bool ends_with(std::string_view s, std::string_view suffix) {
    return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

}  // namespace

bool is_afs_path(std::string_view text) {
    return text == "/afs" || text.starts_with(afs_prefix) || text.starts_with(url_prefix);
}

bool is_valid_cell_name(std::string_view cell) {
    if (cell.empty() || cell.size() > max_cell_name || cell.front() == '.' || cell.back() == '.') return false;
    return std::all_of(cell.begin(), cell.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '-' ||
               c == '_';
    });
}

bool is_valid_name(std::string_view name) {
    return !name.empty() && name.size() <= afs_name_max && name != "." && name != ".." &&
           name.find('/') == std::string_view::npos && name.find('\0') == std::string_view::npos;
}

result<AfsPath> parse_afs_path(std::string_view text) {
    const bool url = text.starts_with(url_prefix);
    if (!url && !text.starts_with(afs_prefix)) return fail(errc::bad_value);
    std::string_view rest = text.substr(url ? url_prefix.size() : afs_prefix.size());

    const size_t slash = rest.find('/');
    std::string_view cell = rest.substr(0, slash);
    rest = slash == std::string_view::npos ? std::string_view{} : rest.substr(slash + 1);

    AfsPath path;
    if (cell.starts_with('.')) {
        path.read_write = true;
        cell.remove_prefix(1);
    }
    if (!is_valid_cell_name(cell)) return fail(errc::bad_value);
    path.cell.resize(cell.size());
    std::transform(cell.begin(), cell.end(), path.cell.begin(),
                   [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; });

    while (!rest.empty()) {
        const size_t end = rest.find('/');
        const std::string_view raw = rest.substr(0, end);
        rest = end == std::string_view::npos ? std::string_view{} : rest.substr(end + 1);
        const std::string part = url ? percent_decode(raw) : std::string(raw);
        if (part.empty() || part == ".") continue;
        if (part == "..") {
            if (path.components.empty()) return fail(errc::bad_value);
            path.components.pop_back();
            continue;
        }
        if (part.size() > afs_name_max) return fail(errc::too_large);
        if (!is_valid_name(part)) return fail(errc::bad_value);
        path.components.push_back(part);
    }
    return path;
}

std::string to_string(const AfsPath& path) {
    std::string out = std::string(afs_prefix) + (path.read_write ? "." : "") + path.cell;
    for (const auto& c : path.components) out += "/" + c;
    return out;
}

result<MountPoint> parse_mount_point(std::string_view contents) {
    if (contents.ends_with('\0')) contents.remove_suffix(1);
    if (contents.size() < 3 || (contents.front() != '#' && contents.front() != '%') || contents.back() != '.')
        return fail(errc::bad_value);
    MountPoint mount;
    mount.kind = contents.front();
    std::string_view body = contents.substr(1, contents.size() - 2);
    if (const size_t colon = body.find(':'); colon != std::string_view::npos) {
        const std::string_view cell = body.substr(0, colon);
        if (!is_valid_cell_name(cell)) return fail(errc::bad_value);
        mount.cell = cell;
        body.remove_prefix(colon + 1);
    }
    if (body.empty() || body.find_first_of(std::string_view(":/\0", 3)) != std::string_view::npos)
        return fail(errc::bad_value);
    if (body.size() > max_volume_name) return fail(errc::too_large);
    mount.volume = body;
    return mount;
}

std::string format_mount_point(const MountPoint& mount) {
    std::string out(1, mount.kind);
    if (!mount.cell.empty()) out += mount.cell + ":";
    return out + mount.volume + ".";
}

VolumeName split_volume_name(std::string_view name) {
    // A suffix alone (".readonly") is a name, not an empty name with a type.
    if (ends_with(name, ro_suffix) && name.size() > ro_suffix.size())
        return {std::string(name.substr(0, name.size() - ro_suffix.size())), VolumeType::ro};
    if (ends_with(name, bk_suffix) && name.size() > bk_suffix.size())
        return {std::string(name.substr(0, name.size() - bk_suffix.size())), VolumeType::backup};
    return {std::string(name), std::nullopt};
}

std::optional<uint32_t> parse_volume_id(std::string_view name) {
    uint32_t id = 0;
    const auto [end, ec] = std::from_chars(name.data(), name.data() + name.size(), id);
    if (name.empty() || ec != std::errc{} || end != name.data() + name.size()) return std::nullopt;
    return id;
}

VolumeType mount_target_type(const MountPoint& mount, VolumeType parent_type, bool target_ro_exists) {
    if (const auto suffix = split_volume_name(mount.volume).type) {
        if (*suffix == VolumeType::backup && parent_type == VolumeType::backup) return VolumeType::rw;
        return *suffix;
    }
    if (mount.kind == '%') return VolumeType::rw;
    return parent_type == VolumeType::ro && target_ro_exists ? VolumeType::ro : VolumeType::rw;
}

}  // namespace afs::wire
