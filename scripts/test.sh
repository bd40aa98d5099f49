#!/usr/bin/env bash
# Installs what is missing, then builds and runs every test (unit and integration, against
# real servers the tests start on loopback):
#   release      an optimised build, all tests
#   asan-ubsan   AddressSanitizer + UndefinedBehaviorSanitizer, all tests
#   tsan         ThreadSanitizer, the concurrency-heavy unit tests (netfs-core and its cache)
# Exits non-zero if anything fails. NETCP_TEST_PRESETS picks a subset.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh
# The AFS tests run against a real OpenAFS cell that CTest starts on loopback; its
# packages are installed here (exit 77: no root or sudo, and the AFS tests then say so).
fixtures/openafs/install.sh || { rc=$?; [[ $rc -eq 77 ]] || exit $rc; }
presets=(${NETCP_TEST_PRESETS:-release asan-ubsan tsan})
for preset in "${presets[@]}"; do
    echo "=== $preset: configure and build"
    cmake --preset "$preset" >/dev/null
    if [[ $preset == tsan ]]; then
        cmake --build "build/$preset" --target netfs_unit netfs_cache_unit
        echo "=== $preset: test"
        ctest --preset "$preset" -R '^netfs_(cache_)?unit\.'
    else
        cmake --build "build/$preset"
        echo "=== $preset: test"
        ctest --preset "$preset"
    fi
done
