// The copy as a whole: operands, cp -r target rules, recursion, exit status.
#pragma once

#include "options.hpp"

namespace netcp {

// Runs the copy the options describe and returns netcp's exit code.
int run_copy(const Options& options);

}  // namespace netcp
