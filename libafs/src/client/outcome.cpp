// Messages that name what failed, where, and as whom.
#include "libafs/client/file_ref.hpp"
#include "libafs/client/outcome.hpp"

namespace afs::client {

std::string FileRef::to_string() const {
    return cell + ":" + std::to_string(fid.volume) + "." + std::to_string(fid.vnode) + "." + std::to_string(fid.unique);
}

std::string Outcome::describe() const {
    std::string out = operation.empty() ? std::string("AFS operation") : operation;
    if (!target.empty()) out += " of " + target;
    if (!volume.empty()) out += " in volume " + volume;
    if (!server.empty()) out += " on " + server;
    if (!identity.empty()) out += " as " + identity;
    if (attempts > 1) out += ", after " + std::to_string(attempts) + " attempts";
    return out;
}

std::string Outcome::message(std::error_code ec) const {
    if (!ec) return describe();
    return describe() + ": " + ec.message();
}

}  // namespace afs::client
