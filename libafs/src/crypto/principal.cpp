#include "libafs/crypto/principal.hpp"

#include "libafs/error.hpp"

namespace afs::crypto {
namespace {

bool fits(const std::string& s, size_t min_len) {
    return s.size() >= min_len && s.size() <= max_principal_component && s.find('\0') == std::string::npos;
}

}  // namespace

std::string Principal::to_string() const {
    std::string s = name;
    if (!instance.empty()) s += "." + instance;
    if (!cell.empty()) s += "@" + cell;
    return s;
}

std::error_code validate(const Principal& p) {
    if (!fits(p.name, 1) || !fits(p.instance, 0) || !fits(p.cell, 0)) return make_error_code(errc::bad_value);
    return {};
}

}  // namespace afs::crypto
