// Human-readable rendering of messages for traces and diagnostics. Field names come
// from the P9_FIELDS list, so the format follows the layout without a second table.
#include <sstream>

#include "lib9p/wire.hpp"

namespace p9 {
namespace {

void put(std::ostringstream& os, uint8_t v) { os << unsigned(v); }
void put(std::ostringstream& os, uint16_t v) { os << v; }
void put(std::ostringstream& os, uint32_t v) { os << v; }
void put(std::ostringstream& os, uint64_t v) { os << v; }
void put(std::ostringstream& os, const std::string& s) { os << '"' << s << '"'; }
void put(std::ostringstream& os, const Bytes& b) { os << '<' << b.view.size() << " bytes>"; }
void put(std::ostringstream& os, const Qid& q) {
    os << "(" << std::hex << q.path << std::dec << " " << q.version << " ";
    os << (q.is_dir() ? "d" : q.is_symlink() ? "L" : "f") << ")";
}
template <class T>
void put(std::ostringstream& os, const std::vector<T>& v) {
    os << '[';
    for (size_t i = 0; i < v.size(); ++i) {
        if (i) os << ", ";
        put(os, v[i]);
    }
    os << ']';
}

}  // namespace

std::string to_string(const Message& msg) {
    return std::visit(
        [](const auto& m) {
            using M = std::decay_t<decltype(m)>;
            std::ostringstream os;
            os << M::type_name;
            std::string_view names = M::field_names;
            std::apply(
                [&](const auto&... f) {
                    auto one = [&](const auto& v) {
                        auto comma = names.find(',');
                        std::string_view n = names.substr(0, comma);
                        names = comma == std::string_view::npos ? std::string_view{} : names.substr(comma + 1);
                        while (!n.empty() && n.front() == ' ') n.remove_prefix(1);
                        os << ' ' << n << '=';
                        put(os, v);
                    };
                    (void)one;
                    (one(f), ...);
                },
                m.fields());
            return os.str();
        },
        msg);
}

std::string to_string(MsgType type) {
    std::string out;
    [&]<size_t... I>(std::index_sequence<I...>) {
        // The fold stops at the first match; its value is not needed.
        (void)((std::variant_alternative_t<I, Message>::type == type
                    ? (out = std::string(std::variant_alternative_t<I, Message>::type_name), true)
                    : false) ||
               ...);
    }(std::make_index_sequence<std::variant_size_v<Message>>{});
    if (out.empty()) out = "type " + std::to_string(static_cast<unsigned>(type));
    return out;
}

}  // namespace p9
