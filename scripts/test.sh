#!/usr/bin/env bash
# Installs what is missing, then builds and runs every test (unit and integration, against
# real servers the tests start on loopback):
#   asan-ubsan   AddressSanitizer + UndefinedBehaviorSanitizer, assertions on: every test
#   tsan         ThreadSanitizer over everything concurrent: netfs-core and its cache, the
#                lib9p client and its netfs adapter (against diod, reconnecting), Rx and the
#                AFS client and netfs backends (against the cell), netcp reconnecting,
#                copying files in parallel (--transfers) and resuming killed copies
#   fuzz         every libFuzzer harness (fuzz/) for NETCP_FUZZ_SECONDS each (default 10),
#                after the inputs kept in fuzz/regressions
#   release      optimised, every test (full-size data: 1 GiB round trips); not run by
#                default, to keep CI's two cores within its time: NETCP_TEST_PRESETS=release
# A test that was skipped fails the run unless tests/skip-allowlist.txt names it with the
# reason. Prints how long each part took. Exits non-zero if anything fails.
# NETCP_TEST_PRESETS picks the presets (default "asan-ubsan tsan fuzz").
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

presets=(${NETCP_TEST_PRESETS:-asan-ubsan tsan fuzz})
# The concurrent parts, under ThreadSanitizer (test targets; netcp itself for netcp_reconnect).
tsan_targets=(netfs_unit netfs_cache_unit lib9p_unit lib9p_diod netfs_diod libafs_rx_unit libafs_client_unit
              libafs_netfs_unit libafs_netfs_afs netcp netcp_reconnect netcp_diod netcp_resume)
# netcp_diod only for its --transfers cases: files copied in parallel by netcp's pool;
# netcp_resume for its SIGKILL cases (the journal fed from the engine's collector).
tsan_tests='^((netfs_unit|netfs_cache_unit|lib9p_unit|lib9p_diod|netfs_diod|libafs_rx_unit|libafs_client_unit|libafs_netfs_unit|libafs_netfs_afs|netcp_reconnect)\.|netcp_diod\.--transfers|netcp_resume\.SIGKILL)'
for preset in "${presets[@]}"; do
    echo "=== $preset: configure and build"
    cmake --preset "$preset" >/dev/null
    junit="build/$preset/ctest-junit.xml"
    case $preset in
        fuzz)
            cmake --build build/fuzz --target fuzzers
            done_part "fuzz: build"
            echo "=== fuzz: run"
            bash fuzz/run.sh "${NETCP_FUZZ_SECONDS:-10}" build/fuzz
            done_part "fuzz: run"
            continue
            ;;
        tsan)
            cmake --build "build/$preset" --target "${tsan_targets[@]}"
            done_part "$preset: build"
            echo "=== $preset: test"
            ctest --preset "$preset" -R "$tsan_tests" --output-junit "$PWD/$junit"
            ;;
        *)
            cmake --build "build/$preset"
            done_part "$preset: build"
            echo "=== $preset: test"
            ctest --preset "$preset" --output-junit "$PWD/$junit"
            ;;
    esac
    python3 scripts/check-skips.py "$junit" tests/skip-allowlist.txt "$preset"
    done_part "$preset: test"
done
