// 9P frames as a client reads them from a socket: the 4-byte size checked by frame_size()
// against msize, then decode() of the whole frame (every T- and R-message type). A frame
// that decodes must encode back to exactly the same bytes (the codec is strict, so a
// decoded message has one wire form), and its Rreaddir payload goes through
// decode_dirents() as the client does. The one exception is the legacy Rerror (107),
// which decodes to the Rlerror it means (nfs-ganesha sends it) and so re-encodes as 7.
#include <cstring>
#include <vector>

#include "fuzz_common.hpp"
#include "lib9p/wire.hpp"

using netcp_fuzz::bytes;

namespace {

void one_frame(std::span<const std::byte> frame) {
    auto decoded = p9::decode(frame);
    if (!decoded) return;
    (void)p9::to_string(decoded->msg);
    if (std::to_integer<uint8_t>(frame[4]) == 107) {
        FUZZ_CHECK(std::holds_alternative<p9::Rlerror>(decoded->msg));
        return;
    }
    auto again = p9::encode(decoded->tag, decoded->msg);
    FUZZ_CHECK(again.has_value());
    FUZZ_CHECK(again->size() == frame.size());
    FUZZ_CHECK(std::memcmp(again->data(), frame.data(), frame.size()) == 0);
    if (auto* rd = std::get_if<p9::Rreaddir>(&decoded->msg)) (void)p9::decode_dirents(rd->data.view);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    auto in = bytes(data, size);
    // The whole input as one frame, whatever its size field says.
    one_frame(in);
    // The input as a byte stream, read the way the transport reads it. The first byte
    // picks the msize (a small one exercises the message_too_large path).
    if (in.empty()) return 0;
    const uint32_t msize = (std::to_integer<uint8_t>(in[0]) & 1) ? 8192 : 64;
    in = in.subspan(1);
    while (in.size() >= 4) {
        auto fs = p9::frame_size(in.first(4), msize);
        if (!fs) break;
        FUZZ_CHECK(*fs >= p9::header_size && *fs <= msize);
        if (*fs > in.size()) break;
        one_frame(in.first(*fs));
        in = in.subspan(*fs);
    }
    return 0;
}
