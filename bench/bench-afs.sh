#!/usr/bin/env bash
# Throughput of libafs against OpenAFS's own afsio on the loopback test cell
# (fixtures/openafs): 1 GiB stored and fetched, MB/s, median of several runs, and the
# ratio to afsio. A measurement, not a test. Needs root (the cell does).
#
#   bench/bench-afs.sh [SIZE_MIB] [RUNS]     defaults: 1024 MiB, 5 runs
#
# Rows: libafs anonymous (rxnull) in anon-rw, the same file size through `afsio write` /
# `afsio read` (anonymous: afsio has no -localauth), libafs as bob with rxkad clear,
# auth and crypt in bob-only, and the netcp command (afs:// through netfs-core, buffered
# upload into a temporary name renamed into place, download to a local file) anonymously
# and as bob at each level. Knobs: NETCP_BUILD_DIR (default build/release, configured
# with the release preset if missing), BENCH_LEVELS (default "clear auth crypt"),
# BENCH_CHUNK_MIB / BENCH_DEPTH (libafs: bytes per FetchData64/StoreData64 call, calls in
# flight; default 16 and 2).
#
# afsio 1.8.9 writes a wrong file above 64 MiB (it counts the offset twice per 64 MiB
# round) and segfaults creating a file: the file is created first with the fixture helper,
# and only afsio write's time is used, never its data. afsio read is correct at any size.
set -euo pipefail
cd "$(dirname "$0")/.."
size_mib=${1:-1024}
runs=${2:-5}
build=${NETCP_BUILD_DIR:-build/release}
levels=${BENCH_LEVELS:-clear auth crypt}
chunk=${BENCH_CHUNK_MIB:-16}
depth=${BENCH_DEPTH:-2}

if [[ ! -f "$build/CMakeCache.txt" ]]; then
    if [[ "$build" == build/release ]]; then cmake --preset release >/dev/null
    else cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null; fi
fi
lock=()
command -v flock >/dev/null && lock=(flock /tmp/netcp-build.lock)
"${lock[@]}" cmake --build "$build" --target afs_bench netcp >/dev/null
bench=$PWD/$build/tests/integration/afs/afs_bench
netcp=$PWD/$build/cli/netcp
[[ -x "$bench" ]] || { echo "no $bench (tests not configured in $build?)" >&2; exit 1; }

work=$(mktemp -d /tmp/netcp-bench-afs-XXXXXX)
trap 'bash fixtures/openafs/cell.sh stop "$work/cell" >/dev/null 2>&1 || true; rm -rf "$work"' EXIT
rc=0
bash fixtures/openafs/cell.sh start "$work/cell" --owner $$ >"$work/cell.out" 2>&1 || rc=$?
if (( rc != 0 )); then
    cat "$work/cell.out" >&2
    (( rc == 77 )) && echo "the OpenAFS test cell cannot run here; no benchmark" >&2
    exit "$rc"
fi
env_file=$work/cell/env
# shellcheck disable=SC1090
source "$env_file"
export KRB5_CONFIG=$AFS_KRB5_CONFIG
bytes=$((size_mib << 20))

median() { sort -g | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
wall() {  # seconds one run of the command took
    local t0 t1
    t0=$(date +%s.%N)
    "$@" >/dev/null
    t1=$(date +%s.%N)
    awk -v a="$t0" -v b="$t1" 'BEGIN {print b - a}'
}

declare -A secs
measure() {  # name, command printing or taking seconds...
    local name=$1 kind=$2 t=()
    shift 2
    for _ in $(seq "$runs"); do
        if [[ $kind == self ]]; then t+=("$("$@")"); else t+=("$(wall "$@")"); fi
    done
    secs[$name]=$(printf '%s\n' "${t[@]}" | median)
    printf '%-28s %s\n' "$name" "${t[*]}" >&2
}

lib_file=$AFS_ANON_RW_DIR/bench-libafs.bin
measure "libafs store (rxnull)" self "$bench" "$env_file" store "$lib_file" "$size_mib" none bob "$chunk" "$depth"
measure "libafs fetch (rxnull)" self "$bench" "$env_file" fetch "$lib_file" "$size_mib" none bob "$chunk" "$depth"

io_file=$AFS_ANON_RW_DIR/bench-afsio.bin
"$AFS_HELPER" -anon create "$io_file" >/dev/null
measure "afsio write" wall afsio write -force -file "$io_file" -synthesize "$bytes"
# Read a correct file: the one libafs wrote.
measure "afsio read" wall afsio read -file "$lib_file"

for level in $levels; do
    f=$AFS_BOB_ONLY_DIR/bench-$level.bin
    measure "libafs store (rxkad $level)" self "$bench" "$env_file" store "$f" "$size_mib" "$level" bob "$chunk" "$depth"
    measure "libafs fetch (rxkad $level)" self "$bench" "$env_file" fetch "$f" "$size_mib" "$level" bob "$chunk" "$depth"
done

# netcp afs://: a local source file of the same size, uploaded and downloaded whole.
head -c "$bytes" /dev/urandom >"$work/src.bin"
afs_url() { echo "afs://${1#/afs/}"; }
nc=("$netcp" --vlserver "$AFS_VLSERVER")
measure "netcp upload (rxnull)" wall "${nc[@]}" "$work/src.bin" "$(afs_url "$AFS_ANON_RW_DIR/bench-netcp.bin")"
measure "netcp download (rxnull)" wall "${nc[@]}" "$(afs_url "$AFS_ANON_RW_DIR/bench-netcp.bin")" "$work/out.bin"
for level in $levels; do
    keyed=("${nc[@]}" --localauth "$AFS_KEYFILE" --user bob --security "$level")
    measure "netcp upload (rxkad $level)" wall "${keyed[@]}" "$work/src.bin" \
        "$(afs_url "$AFS_BOB_ONLY_DIR/bench-netcp-$level.bin")"
    measure "netcp download (rxkad $level)" wall "${keyed[@]}" "$(afs_url "$AFS_BOB_ONLY_DIR/bench-netcp-$level.bin")" \
        "$work/out.bin"
done
cmp -s "$work/src.bin" "$work/out.bin" || { echo "netcp's download differs from the source" >&2; exit 1; }

rate() { awk -v b="$bytes" -v s="$1" 'BEGIN {printf "%.1f", b / s / 1e6}'; }
printf '\n%s MiB file, median of %s runs, on %s (%s cores); libafs: %s MiB per call, %s in flight\n' \
    "$size_mib" "$runs" "$(uname -n)" "$(nproc)" "$chunk" "$depth"
printf '%-28s %9s %9s %10s\n' "" "seconds" "MB/s" "vs afsio"
row() {  # name, afsio row to compare with (or "")
    local r ratio="-"
    r=$(rate "${secs[$1]}")
    [[ -n "$2" ]] && ratio=$(awk -v a="${secs[$2]}" -v b="${secs[$1]}" 'BEGIN {printf "%.2f", a / b}')
    printf '%-28s %9.3f %9s %10s\n' "$1" "${secs[$1]}" "$r" "$ratio"
}
row "libafs store (rxnull)" "afsio write"
row "afsio write" ""
row "libafs fetch (rxnull)" "afsio read"
row "afsio read" ""
for level in $levels; do
    row "libafs store (rxkad $level)" "afsio write"
    row "libafs fetch (rxkad $level)" "afsio read"
done
row "netcp upload (rxnull)" "afsio write"
row "netcp download (rxnull)" "afsio read"
for level in $levels; do
    row "netcp upload (rxkad $level)" "afsio write"
    row "netcp download (rxkad $level)" "afsio read"
done
echo "afsio write above 64 MiB writes a wrong file (OpenAFS 1.8.9); only its time is used."
