// Shared by the harnesses: a check that aborts (so libFuzzer records the input) and
// byte/span helpers.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <span>
#include <string_view>

namespace netcp_fuzz {

// A failed invariant: print it and abort, which libFuzzer reports as a crash.
[[noreturn]] inline void failed(const char* what, const char* file, int line) {
    std::fprintf(stderr, "fuzz check failed: %s (%s:%d)\n", what, file, line);
    std::abort();
}

inline std::span<const std::byte> bytes(const uint8_t* data, size_t size) {
    return {reinterpret_cast<const std::byte*>(data), size};
}

inline std::string_view text(const uint8_t* data, size_t size) {
    return {reinterpret_cast<const char*>(data), size};
}

}  // namespace netcp_fuzz

#define FUZZ_CHECK(cond) ((cond) ? (void)0 : ::netcp_fuzz::failed(#cond, __FILE__, __LINE__))
