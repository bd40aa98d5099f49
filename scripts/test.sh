#!/usr/bin/env bash
# Installs what is missing, then builds and runs every test (unit and integration, against
# real servers the tests start on loopback) twice: an optimised build, and a build under
# AddressSanitizer + UndefinedBehaviorSanitizer. Exits non-zero if anything fails.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh
presets=(${NETCP_TEST_PRESETS:-release asan-ubsan})
for preset in "${presets[@]}"; do
    echo "=== $preset: configure and build"
    cmake --preset "$preset" >/dev/null
    cmake --build "build/$preset"
    echo "=== $preset: test"
    ctest --preset "$preset"
done
