#!/usr/bin/env bash
# Refreshes the captured part of the seed corpus from real servers: 9P frames diod and
# netcp exchanged (fuzz/corpus/p9_frame/captured-*), and Rx datagrams and ACK bodies
# between netcp and the OpenAFS test cell (fuzz/corpus/rx_packet/, rx_ack/), rxnull and
# rxkad crypt. Starts a throwaway diod and the cell on loopback, copies a few files
# through each with netcp, and stops them. Needs root for the cell and the Rx capture.
#
#   bash fuzz/capture-seeds.sh [BUILD_DIR]     # default build/release (netcp is taken from it)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$here/..
build=$(realpath "${1:-$root/build/release}")
netcp=$build/cli/netcp
[[ -x $netcp ]] || { echo "capture-seeds: build netcp first ($netcp)" >&2; exit 2; }
corpus=$here/corpus
work=$(mktemp -d /tmp/netcp-capture.XXXXXX)
cleanup() {
    bash "$root/fixtures/diod/diod-fixture.sh" stop "$work/diod" >/dev/null 2>&1 || true
    [[ -f $work/cell/env ]] && bash "$root/fixtures/openafs/cell.sh" stop "$work/cell" >/dev/null 2>&1 || true
    rm -rf "$work"
}
trap cleanup EXIT
rm -f "$corpus"/p9_frame/captured-* "$corpus"/rx_packet/captured-* "$corpus"/rx_ack/captured-*

head -c 300000 /dev/urandom >"$work/file"
mkdir -p "$work/tree/sub" && echo small >"$work/tree/a" && echo other >"$work/tree/sub/b"

# 9P: through a relay that keeps the frames; diod's answers and errors to every kind of call.
bash "$root/fixtures/diod/diod-fixture.sh" start "$work/diod" >/dev/null
# shellcheck disable=SC1091
source "$work/diod/env"
relay_port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
python3 "$here/capture_seeds.py" 9p "$relay_port" "$DIOD_PORT" "$corpus" 20 &
capture=$!
sleep 0.5
url=9p://127.0.0.1:$relay_port
n() { "$netcp" --aname "$DIOD_EXPORT" "$@" >/dev/null 2>&1 || true; }
n "$work/file" "$url/file"
n "$url/file" "$work/back"
n --direct "$work/file" "$url/direct"
n -r -p "$work/tree" "$url/tree"
n -r "$url/tree" "$work/tree-back"
ln -s target "$work/link" && n "$work/link" "$url/link" && n "$url/link" "$work/link-back"
n "$url/no-such-file" "$work/missing"
wait "$capture"
bash "$root/fixtures/diod/diod-fixture.sh" stop "$work/diod" >/dev/null

# Rx: sniffed on loopback while netcp talks to the VL server and the fileserver.
bash "$root/fixtures/openafs/cell.sh" start "$work/cell" >/dev/null
# shellcheck disable=SC1091
source "$work/cell/env"
python3 "$here/capture_seeds.py" rx 7000,7003 "$corpus" 25 &
capture=$!
sleep 0.5
a() { "$netcp" --vlserver "$AFS_VLSERVER" "$@" >/dev/null 2>&1 || true; }
dir=afs://${AFS_ANON_RW_DIR#/afs/}
a "$work/file" "$dir/captured"
a "$dir/captured" "$work/afs-back"
a -r "$work/tree" "$dir/captured-tree"
a --localauth "$AFS_KEYFILE" --user "$AFS_ALICE_USER" --security crypt "$dir/captured" "$work/afs-crypt"
a "$dir/no-such-file" "$work/afs-missing"
wait "$capture"
echo "capture-seeds: corpus refreshed in $corpus"
