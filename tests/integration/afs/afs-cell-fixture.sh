#!/usr/bin/env bash
# CTest fixture for the AFS integration tests: starts the machine's OpenAFS test cell
# (fixtures/openafs/cell.sh) in a state directory of the build tree before the first AFS
# test and stops it after the last.
#
#   afs-cell-fixture.sh start STATE_DIR    exit 0: running, STATE_DIR/env written
#                                          exit 77: the cell cannot run here (tests then skip,
#                                          saying why, from STATE_DIR/skip-reason)
#   afs-cell-fixture.sh stop STATE_DIR     stops it and removes STATE_DIR/env
#
# The cell is tied to the ctest process (cell.sh --owner): if ctest is killed, the cell
# stops about a second later.
set -uo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
cell_sh="$here/../../../fixtures/openafs/cell.sh"
[[ $# -eq 2 ]] || { echo "usage: $0 start|stop STATE_DIR" >&2; exit 2; }
cmd=$1
state=$2
mkdir -p "$state"

case "$cmd" in
start)
    rm -f "$state/env" "$state/skip-reason"
    # Our parent is ctest (or whoever runs the fixture): the cell lives as long as it does.
    owner=$PPID
    rc=0
    bash "$cell_sh" start "$state" --owner "$owner" >"$state/start.log" 2>&1 || rc=$?
    cat "$state/start.log"
    if (( rc == 77 )); then
        {
            echo "the OpenAFS test cell cannot run on this machine (fixtures/openafs/cell.sh start exited 77):"
            grep 'openafs cell:' "$state/start.log" | tail -n 3
        } >"$state/skip-reason"
        cat "$state/skip-reason" >&2
        exit 77
    fi
    if (( rc != 0 )) || [[ ! -f "$state/env" ]]; then
        echo "starting the OpenAFS test cell failed (exit $rc); see $state/start.log and $state/logs/" >&2
        exit 1
    fi
    ;;
stop)
    rc=0
    if [[ -f "$state/pids" ]]; then
        bash "$cell_sh" stop "$state" || rc=$?
    fi
    rm -f "$state/env"
    exit $rc
    ;;
*)
    echo "usage: $0 start|stop STATE_DIR" >&2
    exit 2
    ;;
esac
