#!/usr/bin/env bash
# Installs what is missing, then builds and runs every test (unit and integration, against
# real servers the tests start on loopback):
#   release      an optimised build, all tests
#   asan-ubsan   AddressSanitizer + UndefinedBehaviorSanitizer, all tests
#   tsan         ThreadSanitizer, the concurrency-heavy unit tests (netfs-core and its cache)
# A test that was skipped fails the run unless tests/skip-allowlist.txt names it with the
# reason. Prints how long each part took. Exits non-zero if anything fails.
# NETCP_TEST_PRESETS picks a subset.
set -euo pipefail
cd "$(dirname "$0")/.."

started=$(date +%s)
part_start=$started
timings=()
done_part() {
    local now
    now=$(date +%s)
    timings+=("$(printf '%-34s %5d s' "$1" $((now - part_start)))")
    echo "=== $1: $((now - part_start)) s"
    part_start=$now
}
report_timings() {
    echo "=== time per part"
    printf '  %s\n' "${timings[@]}"
    echo "  total: $(( $(date +%s) - started )) s"
}
trap report_timings EXIT

scripts/install-deps.sh
# The AFS tests run against a real OpenAFS cell that CTest starts on loopback; its
# packages are installed here. Without root or sudo (exit 77) the AFS tests skip, and the
# skip check below fails the run: a machine that cannot run them is not a green one.
fixtures/openafs/install.sh || { rc=$?; [[ $rc -eq 77 ]] || exit $rc; }
# CI's machine has the packages already, so the install path above did nothing: exercise
# it for real with one package reinstalled, so a first-run failure (an exit status a fresh
# machine would see) turns CI red.
if [[ ${CI:-} == true ]]; then
    NETCP_REINSTALL=doctest-dev scripts/install-deps.sh
fi
done_part "install"

presets=(${NETCP_TEST_PRESETS:-release asan-ubsan tsan})
for preset in "${presets[@]}"; do
    echo "=== $preset: configure and build"
    cmake --preset "$preset" >/dev/null
    junit="build/$preset/ctest-junit.xml"
    if [[ $preset == tsan ]]; then
        cmake --build "build/$preset" --target netfs_unit netfs_cache_unit
        done_part "$preset: build"
        echo "=== $preset: test"
        ctest --preset "$preset" -R '^netfs_(cache_)?unit\.' --output-junit "$PWD/$junit"
    else
        cmake --build "build/$preset"
        done_part "$preset: build"
        echo "=== $preset: test"
        ctest --preset "$preset" --output-junit "$PWD/$junit"
    fi
    python3 scripts/check-skips.py "$junit" tests/skip-allowlist.txt "$preset"
    done_part "$preset: test"
done
