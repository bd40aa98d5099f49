# Shared by the 9P benchmarks (sourced): builds netcp (release), starts a diod on
# loopback with a work directory removed on exit, makes a random source file, and
# provides time_it and median.
#   in:  size_mib, and the work directory's name prefix as $1
#   out: netcp, work, url, DIOD_EXPORT (and the rest of the fixture's env), bytes, $work/src.bin
scripts/install-deps.sh
cmake --preset release >/dev/null
cmake --build build/release --target netcp >/dev/null
netcp=$PWD/build/release/cli/netcp

work=$(mktemp -d "/tmp/$1-XXXXXX")
trap 'fixtures/diod/diod-fixture.sh kill "$work/diod" >/dev/null 2>&1 || true; rm -rf "$work"' EXIT
fixtures/diod/diod-fixture.sh start "$work/diod" >"$work/env"
# shellcheck disable=SC1091
source "$work/env"
url="9p://127.0.0.1:$DIOD_PORT"
head -c $((size_mib << 20)) /dev/urandom >"$work/src.bin"
bytes=$((size_mib << 20))

# time_it CMD... : "wall user sys" seconds of one run of the command
time_it() {
    local TIMEFORMAT='%R %U %S'
    { time "$@" >/dev/null 2>&1; } 2>&1
}
median() { sort -g | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
