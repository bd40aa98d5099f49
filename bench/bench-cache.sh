#!/usr/bin/env bash
# The persistent cache's throughput on loopback, as MB/s and as a ratio to reading the
# same file locally with `cat` into a file (what a download must do at best). A
# measurement, not a test.
#
#   bench/bench-cache.sh [SIZE_MIB] [RUNS]     defaults: 1024 MiB, 5 runs; prints medians
#
# Rows: cat (local file to local file); netcp download without --cache (the plain Tread
# pipeline); cold read (--cache, emptied before each run: from the server, copied to the
# cache on the way); warm read (--cache holding the file: no server reads); uploads with
# and without --cache (with it, the data goes to the server and the cache in one pass).
# The cache directory and the export live in /tmp; all data stays in the page cache.
set -euo pipefail
cd "$(dirname "$0")/.."
size_mib=${1:-1024}
runs=${2:-5}

# shellcheck source=common.sh
source bench/common.sh netcp-bench-cache
cache=$work/cache
cp "$work/src.bin" "$DIOD_EXPORT/file.bin"
nc=("$netcp" --aname "$DIOD_EXPORT")

declare -A secs
measure() {  # name, before-each-run command (a string), command...
    local name=$1 before=$2 w=()
    shift 2
    for _ in $(seq "$runs"); do
        rm -f "$work/out.bin"
        eval "$before"
        sync
        w+=("$(time_it "$@" | awk '{print $1}')")
    done
    secs[$name]=$(printf '%s\n' "${w[@]}" | median)
}

clear_cache() { "$netcp" cache clear "$cache" >/dev/null 2>&1 || true; }

measure "cat (local)" ":" sh -c "cat '$work/src.bin' >'$work/out.bin'"
measure "download, no cache" ":" "${nc[@]}" "$url/file.bin" "$work/out.bin"
measure "cold read (cache)" "clear_cache" "${nc[@]}" --cache "$cache" "$url/file.bin" "$work/out.bin"
"${nc[@]}" --cache "$cache" "$url/file.bin" "$work/out.bin"  # prime it
measure "warm read (cache)" ":" "${nc[@]}" --cache "$cache" "$url/file.bin" "$work/out.bin"
warm_check=$("${nc[@]}" --cache "$cache" --stats "$url/file.bin" "$work/out.bin" 2>&1 | grep -o 'server_bytes=[0-9]*')
measure "upload, no cache" ":" "${nc[@]}" "$work/src.bin" "$url/up.bin"
measure "upload with cache" "clear_cache" "${nc[@]}" --cache "$cache" "$work/src.bin" "$url/up.bin"

printf '\n%s MiB file, median of %s runs, on %s (%s cores); warm read: %s\n' "$size_mib" "$runs" "$(uname -n)" \
    "$(nproc)" "$warm_check"
printf '%-22s %9s %9s %9s\n' "" "seconds" "MB/s" "vs cat"
rate() { awk -v b="$bytes" -v s="$1" 'BEGIN {print b / s / 1e6}'; }
cat_rate=$(rate "${secs[cat (local)]}")
for name in "cat (local)" "download, no cache" "cold read (cache)" "warm read (cache)" "upload, no cache" \
            "upload with cache"; do
    r=$(rate "${secs[$name]}")
    printf '%-22s %9.3f %9.1f %9.2f\n' "$name" "${secs[$name]}" "$r" "$(awk -v a="$r" -v b="$cat_rate" 'BEGIN {print a / b}')"
done
