#!/usr/bin/env bash
# Throughput of netcp against its peers on loopback, as MB/s and as a ratio to a plain
# local `cp` of the same file into the export directory. A measurement, not a test.
#
#   bench/bench.sh [SIZE_MIB] [RUNS]     defaults: 1024 MiB, 5 runs; prints medians
#
# Rows: cp (local copy into the export); netcp uploads through the write engine (buffered,
# write-through, direct) and through the raw Twrite pipeline it replaced (the baseline for
# the engine's cost); netcp download; diodcat download (diod's own client, one request in
# flight). CPU is netcp's user+system seconds per GiB. All data stays in the page cache.
set -euo pipefail
cd "$(dirname "$0")/.."
size_mib=${1:-1024}
runs=${2:-5}

# shellcheck source=common.sh
source bench/common.sh netcp-bench

declare -A secs cpu
measure() {  # name, command...
    local name=$1 w=() c=() t
    shift
    for _ in $(seq "$runs"); do
        sync
        t=$(time_it "$@")
        w+=("$(echo "$t" | awk '{print $1}')")
        c+=("$(echo "$t" | awk '{print $2 + $3}')")
        rm -f "$work/out.bin" "$DIOD_EXPORT/cp.bin"
    done
    secs[$name]=$(printf '%s\n' "${w[@]}" | median)
    cpu[$name]=$(printf '%s\n' "${c[@]}" | median)
}

measure "cp into the export" cp "$work/src.bin" "$DIOD_EXPORT/cp.bin"
measure "upload raw pipeline" "$netcp" --raw-pipeline --aname "$DIOD_EXPORT" "$work/src.bin" "$url/up.bin"
measure "upload buffered" "$netcp" --aname "$DIOD_EXPORT" "$work/src.bin" "$url/up.bin"
measure "upload write-through" "$netcp" --write-through --aname "$DIOD_EXPORT" "$work/src.bin" "$url/up.bin"
measure "upload direct" "$netcp" --direct --aname "$DIOD_EXPORT" "$work/src.bin" "$url/up.bin"
measure "netcp download" "$netcp" --aname "$DIOD_EXPORT" "$url/up.bin" "$work/out.bin"
cp "$work/src.bin" "$DIOD_EXPORT/dc.bin"
measure "diodcat download" sh -c "diodcat -s 127.0.0.1:$DIOD_PORT -a '$DIOD_EXPORT' dc.bin >'$work/out.bin'"

printf '\n%s MiB file, median of %s runs, on %s (%s cores)\n' "$size_mib" "$runs" "$(uname -n)" "$(nproc)"
printf '%-22s %9s %9s %8s %14s\n' "" "seconds" "MB/s" "vs cp" "CPU s per GiB"
rate() { awk -v b="$bytes" -v s="$1" 'BEGIN {print b / s / 1e6}'; }
cp_rate=$(rate "${secs[cp into the export]}")
for name in "cp into the export" "upload raw pipeline" "upload buffered" "upload write-through" "upload direct" \
            "netcp download" "diodcat download"; do
    r=$(rate "${secs[$name]}")
    c=$(awk -v c="${cpu[$name]}" -v m="$size_mib" 'BEGIN {print c * 1024 / m}')
    printf '%-22s %9.3f %9.1f %8.2f %14.3f\n' "$name" "${secs[$name]}" "$r" "$(awk -v a="$r" -v b="$cp_rate" 'BEGIN {print a / b}')" "$c"
done
raw=${cpu[upload raw pipeline]}
for name in "upload buffered" "upload write-through" "upload direct"; do
    awk -v n="$name" -v c="${cpu[$name]}" -v r="$raw" 'BEGIN {printf "%s: %+.1f%% CPU against the raw pipeline\n", n, (c - r) / r * 100}'
done
