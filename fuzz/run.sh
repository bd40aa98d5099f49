#!/usr/bin/env bash
# Runs every libFuzzer harness: first each input kept in fuzz/regressions/<name>/ once,
# then fuzzing for SECONDS seconds from the seeds in fuzz/corpus/<name>/ (new inputs go to
# a scratch directory, never into the repository). Prints the executions per harness and
# fails if anything crashed, leaked, hung or broke a check; crashing inputs are kept in
# ARTIFACTS (default build/fuzz/artifacts).
#
#   bash fuzz/run.sh [SECONDS] [BUILD_DIR]      # default 20 s each, build/fuzz
#   FUZZ_ONLY="p9_frame rx_ack" bash fuzz/run.sh 60
#
# Build first: cmake --preset fuzz && cmake --build build/fuzz --target fuzzers
set -uo pipefail

seconds=${1:-20}
here=$(cd "$(dirname "$0")" && pwd)
build=${2:-$here/../build/fuzz}
bin=$build/fuzz
artifacts=${ARTIFACTS:-$build/artifacts}
scratch=$(mktemp -d /tmp/netcp-fuzz.XXXXXX)
trap 'rm -rf "$scratch"' EXIT
mkdir -p "$artifacts"

export ASAN_OPTIONS=${ASAN_OPTIONS:-abort_on_error=1:detect_leaks=1:strict_string_checks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

harnesses=()
for src in "$here"/*_fuzz.cpp; do
    name=$(basename "$src" _fuzz.cpp)
    if [[ -n ${FUZZ_ONLY:-} && " $FUZZ_ONLY " != *" $name "* ]]; then continue; fi
    harnesses+=("$name")
done

failed=()
start=$(date +%s)
printf '%-18s %10s %8s %s\n' harness execs cov result
for name in "${harnesses[@]}"; do
    exe=$bin/${name}_fuzz
    if [[ ! -x $exe ]]; then
        printf '%-18s %10s %8s %s\n' "$name" - - "NOT BUILT ($exe)"
        failed+=("$name")
        continue
    fi
    # Regression inputs: each run once.
    reg=$here/regressions/$name
    if [[ -d $reg ]] && compgen -G "$reg/*" >/dev/null; then
        if ! "$exe" "$reg"/* >"$scratch/$name.reg.log" 2>&1; then
            printf '%-18s %10s %8s %s\n' "$name" - - "REGRESSION FAILED (log below)"
            tail -40 "$scratch/$name.reg.log"
            failed+=("$name")
            continue
        fi
    fi
    mkdir -p "$scratch/$name"
    seeds=()
    [[ -d $here/corpus/$name ]] && seeds=("$here/corpus/$name")
    log=$scratch/$name.log
    if "$exe" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=16384 \
        -print_final_stats=1 -artifact_prefix="$artifacts/$name-" \
        "$scratch/$name" "${seeds[@]}" >"$log" 2>&1; then
        result=ok
    else
        result="CRASH (artifact in $artifacts, log below)"
        failed+=("$name")
    fi
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1 | cut -d' ' -f2)
    printf '%-18s %10s %8s %s\n' "$name" "${execs:-?}" "${cov:-?}" "$result"
    [[ $result == ok ]] || grep -v '^#\|^INFO\|^\s*$' "$log" | tail -40
done
echo "fuzzing took $(( $(date +%s) - start )) s for ${#harnesses[@]} harnesses at ${seconds} s each"
if (( ${#failed[@]} )); then
    echo "FAILED: ${failed[*]}"
    exit 1
fi
