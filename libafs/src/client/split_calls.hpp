// The two RPCs whose bulk data streams through the Rx call between the XDR parts:
// FetchData64 (request; reply = 8-byte count, the bytes, then status/callback/volsync) and
// StoreData64 (request header, then the bytes; reply = status/volsync). The bytes move
// straight between the caller's buffers and Rx packets.
#pragma once

#include <functional>
#include <memory>
#include <span>
#include <vector>

#include "libafs/rx/transport.hpp"
#include "libafs/wire/fs.hpp"

namespace afs::client::detail {

struct FetchTarget {
    std::vector<std::byte> request;            // opcode + FetchData64 arguments
    uint64_t requested = 0;                    // the Length asked for (the buffers' total size)
    std::vector<std::span<std::byte>> buffers; // filled in order
    uint64_t bytes = 0;                        // what the last attempt placed
    wire::fs::FetchData64::Reply reply;        // the trailer of the last successful attempt
};

// One FetchData64 call on `conn`. Fewer bytes than asked for is fine (end of file); a
// stream that ends before the count it announced, or continues past the trailer, is
// errc::protocol_violation.
void fetch_data64(const std::shared_ptr<rx::Connection>& conn, std::shared_ptr<FetchTarget> target,
                  std::function<void(std::error_code)> done);

struct StoreSource {
    std::vector<std::byte> header;                  // opcode + StoreData64 arguments
    std::vector<std::span<const std::byte>> pieces; // `length` bytes in all
    wire::fs::StoreData64::Reply reply;             // of the last successful attempt
};

// One StoreData64 call on `conn`: header, every piece, end of request, reply.
void store_data64(const std::shared_ptr<rx::Connection>& conn, std::shared_ptr<StoreSource> source,
                  std::function<void(std::error_code)> done);

}  // namespace afs::client::detail
