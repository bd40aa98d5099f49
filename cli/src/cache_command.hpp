// `netcp cache stats|list|clear DIR`: what a cache directory holds, and emptying it.
#pragma once

#include "options.hpp"

namespace netcp {

// Prints to stdout; errors to stderr. Returns the exit status.
int run_cache_command(const CacheCommand& cmd);

}  // namespace netcp
