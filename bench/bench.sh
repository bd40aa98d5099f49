#!/usr/bin/env bash
# Throughput of netcp against its peers on loopback, as MB/s and as a ratio to a plain
# local `cp` of the same file into the export directory. A measurement, not a test.
#
#   bench/bench.sh [SIZE_MIB] [RUNS]     defaults: 1024 MiB, 5 runs; prints medians
#
# Rows: cp (local copy into the export), netcp upload, netcp download, diodcat download
# (diod's own client: one request in flight). All data stays in the page cache.
set -euo pipefail
cd "$(dirname "$0")/.."
size_mib=${1:-1024}
runs=${2:-5}

scripts/install-deps.sh
cmake --preset release >/dev/null
cmake --build build/release --target netcp >/dev/null
netcp=$PWD/build/release/cli/netcp

work=$(mktemp -d /tmp/netcp-bench-XXXXXX)
trap 'fixtures/diod/diod-fixture.sh kill "$work/diod" >/dev/null 2>&1 || true; rm -rf "$work"' EXIT
fixtures/diod/diod-fixture.sh start "$work/diod" >"$work/env"
# shellcheck disable=SC1091
source "$work/env"
url="9p://127.0.0.1:$DIOD_PORT"
head -c $((size_mib << 20)) /dev/urandom >"$work/src.bin"
bytes=$((size_mib << 20))

# time_it CMD... : seconds taken by one run of the command
time_it() {
    local t0 t1
    t0=$(date +%s.%N)
    "$@" >/dev/null
    t1=$(date +%s.%N)
    awk -v a="$t0" -v b="$t1" 'BEGIN {print b - a}'
}
median() { sort -g | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }

declare -A secs
measure() {  # name, command...
    local name=$1 s=()
    shift
    for _ in $(seq "$runs"); do
        sync
        s+=("$(time_it "$@")")
        rm -f "$work/out.bin" "$DIOD_EXPORT/cp.bin"
    done
    secs[$name]=$(printf '%s\n' "${s[@]}" | median)
}

measure "cp into the export" cp "$work/src.bin" "$DIOD_EXPORT/cp.bin"
measure "netcp upload" "$netcp" --aname "$DIOD_EXPORT" "$work/src.bin" "$url/up.bin"
measure "netcp download" "$netcp" --aname "$DIOD_EXPORT" "$url/up.bin" "$work/out.bin"
cp "$work/src.bin" "$DIOD_EXPORT/dc.bin"
measure "diodcat download" sh -c "diodcat -s 127.0.0.1:$DIOD_PORT -a '$DIOD_EXPORT' dc.bin >'$work/out.bin'"

printf '\n%s MiB file, median of %s runs, on %s (%s cores)\n' "$size_mib" "$runs" "$(uname -n)" "$(nproc)"
printf '%-22s %10s %10s %8s\n' "" "seconds" "MB/s" "vs cp"
rate() { awk -v b="$bytes" -v s="$1" 'BEGIN {print b / s / 1e6}'; }
cp_rate=$(rate "${secs[cp into the export]}")
for name in "cp into the export" "netcp upload" "netcp download" "diodcat download"; do
    r=$(rate "${secs[$name]}")
    printf '%-22s %10.3f %10.1f %8.2f\n' "$name" "${secs[$name]}" "$r" "$(awk -v a="$r" -v b="$cp_rate" 'BEGIN {print a / b}')"
done
