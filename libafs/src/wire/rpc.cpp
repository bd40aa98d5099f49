// The one framing fact shared by every RPC: a request starts with its opcode word.
#include "libafs/wire/rpc.hpp"

namespace afs::wire {

result<uint32_t> opcode_of(std::span<const std::byte> request) {
    xdr::Reader r(request);
    const uint32_t op = r.u32();
    if (!r.ok()) return fail(r.error());
    return op;
}

}  // namespace afs::wire
