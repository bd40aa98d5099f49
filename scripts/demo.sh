#!/usr/bin/env bash
# The main job, end to end on this machine: install what is missing, build netcp, start a
# throwaway diod on loopback, upload a sample file with netcp, download it again and check
# that it is identical, then stop the server.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh
cmake --preset release >/dev/null
cmake --build build/release --target netcp

work=$(mktemp -d /tmp/netcp-demo-XXXXXX)
trap 'fixtures/diod/diod-fixture.sh kill "$work/diod" >/dev/null 2>&1 || true; rm -rf "$work"' EXIT
fixtures/diod/diod-fixture.sh start "$work/diod" >"$work/diod.env"
# shellcheck disable=SC1091
source "$work/diod.env"
echo "diod is serving $DIOD_EXPORT on 127.0.0.1:$DIOD_PORT and $DIOD_SOCKET"

head -c $((64 << 20)) /dev/urandom >"$work/sample.bin"
netcp=build/release/cli/netcp
url="9p://127.0.0.1:$DIOD_PORT/sample.bin"
set -x
"$netcp" -v --aname "$DIOD_EXPORT" "$work/sample.bin" "$url"
"$netcp" -v --unix-socket "$DIOD_SOCKET" --aname "$DIOD_EXPORT" 9p://localhost/sample.bin "$work/downloaded.bin"
set +x
cmp "$work/sample.bin" "$DIOD_EXPORT/sample.bin"
cmp "$work/sample.bin" "$work/downloaded.bin"
echo "OK: uploaded and downloaded 64 MiB with netcp; all three copies are identical ($(sha256sum <"$work/sample.bin" | cut -c1-16)...)"
