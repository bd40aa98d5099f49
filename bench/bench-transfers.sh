#!/usr/bin/env bash
# --transfers: a tree of many small files to and from a diod on loopback, copied one file
# at a time and with several at once, as seconds and as the speed-up over one at a time.
# A measurement, not a test.
#
#   bench/bench-transfers.sh [FILES] [RUNS] [TRANSFERS...]   defaults: 10000 files, 3 runs, 1 4 8 16
#   RTT_MS=2 bench/bench-transfers.sh ...   through a relay adding RTT_MS/2 each way
#
# On loopback the server and netcp share this machine's cores, so parallel copies gain
# what the cores allow; over a path with latency each file's few round trips dominate a
# one-at-a-time copy, and files at once overlap them (tests/support/delay_relay_main.cpp:
# this kernel has no netem).
#
# The files are 0 to 4 KiB (random sizes, fixed seed), 100 to a directory. Each run
# uploads the tree into an empty directory (removed between runs) and downloads it into an
# empty local one; the medians are printed. Server and client share this machine's cores.
set -euo pipefail
cd "$(dirname "$0")/.."
files=${1:-10000}
runs=${2:-3}
shift $(($# > 2 ? 2 : $#))
levels=("$@")
[[ ${#levels[@]} -gt 0 ]] || levels=(1 4 8 16)
size_mib=0

# diod's own default of 16 worker threads (the test fixture starts it with 4): the server
# must be able to answer several connections at once for the comparison to mean anything.
export DIOD_THREADS=${DIOD_THREADS:-16}
# shellcheck source=common.sh
source bench/common.sh netcp-bench-transfers
if [[ -n ${RTT_MS:-} ]]; then
    cmake --build build/release --target netcp_delay_relay >/dev/null
    delay_us=$(awk -v r="$RTT_MS" 'BEGIN { printf "%d", r * 500 }')
    build/release/tests/netcp_delay_relay 127.0.0.1 127.0.0.1 "$DIOD_PORT" "$delay_us" >"$work/relay.out" &
    relay_pid=$!
    trap 'kill "$relay_pid" 2>/dev/null || true; fixtures/diod/diod-fixture.sh kill "$work/diod" >/dev/null 2>&1 || true; rm -rf "$work"' EXIT
    for _ in $(seq 100); do grep -q PORT= "$work/relay.out" 2>/dev/null && break; sleep 0.05; done
    url="9p://127.0.0.1:$(sed -n 's/^PORT=//p' "$work/relay.out")"
fi
tree=$work/tree
python3 - "$tree" "$files" <<'PY'
import os, random, sys
root, n = sys.argv[1], int(sys.argv[2])
rnd = random.Random(1)
for i in range(n):
    d = os.path.join(root, "d%03d" % (i // 100))
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "f%05d" % i), "wb") as f:
        f.write(rnd.randbytes(rnd.randrange(0, 4097)))
PY
nc=("$netcp" --aname "$DIOD_EXPORT" -q -r)

# Every run writes new directories on both sides, removed only at the end: ext4 makes
# creating files right after removing thousands slow (it avoids reusing the inodes it just
# freed), which would measure the clean-up, not the copy.
declare -A up down
for t in "${levels[@]}"; do
    u=() d=()
    for i in $(seq "$runs"); do
        sync
        u+=("$(time_it "${nc[@]}" --transfers "$t" "$tree" "$url/tree-$t-$i" | awk '{print $1}')")
        d+=("$(time_it "${nc[@]}" --transfers "$t" "$url/tree-$t-$i" "$work/back-$t-$i" | awk '{print $1}')")
        diff -r "$tree" "$work/back-$t-$i" >/dev/null || { echo "transfers=$t: the tree came back different" >&2; exit 1; }
    done
    up[$t]=$(printf '%s\n' "${u[@]}" | median)
    down[$t]=$(printf '%s\n' "${d[@]}" | median)
done

path="on loopback"
[[ -z ${RTT_MS:-} ]] || path="through a relay adding ${RTT_MS} ms of round-trip time"
echo "netcp -r, $files files of 0-4 KiB, median of $runs runs, $(nproc) cores ($(uname -m)), diod -t $DIOD_THREADS $path"
printf '%-12s %10s %8s %10s %8s\n' transfers "up (s)" "x" "down (s)" "x"
for t in "${levels[@]}"; do
    awk -v t="$t" -v u="${up[$t]}" -v u1="${up[1]:-${up[$t]}}" -v d="${down[$t]}" -v d1="${down[1]:-${down[$t]}}" \
        'BEGIN { printf "%-12s %10.2f %8.2f %10.2f %8.2f\n", t, u, u1 / u, d, d1 / d }'
done
