#!/usr/bin/env bash
# Installs what netcp needs to build and test, from Debian's packages. Idempotent: does
# nothing when everything is present. Uses sudo when not run as root.
set -euo pipefail

packages=(
    g++ cmake ninja-build pkg-config         # toolchain
    libasio-dev libcli11-dev doctest-dev     # standalone Asio, the CLI parser, the test framework
    libssl-dev libexpected-dev               # OpenSSL, tl::expected
    diod                                     # the 9P2000.L server the tests and demo run on loopback
    libmunge-dev munge                       # MUNGE credentials (diod's default authentication), a test munged
    libkrb5-dev                              # Kerberos 5 (MIT libkrb5): AFS users' tickets
    nlohmann-json3-dev                       # netcp --json
    python3-jsonschema                       # the --json test validates lines against the schema
    nfs-ganesha nfs-ganesha-vfs              # the second 9P2000.L server the tests run (in a network namespace)
    iproute2                                 # fixtures/ganesha/in-netns.sh brings the namespace's loopback up
    python3                                  # the misbehaving test server, the CI skip check
    clang libfuzzer-14-dev                   # the libFuzzer harnesses (fuzz/)
    gdb                                      # stacks of a test's netcp that hangs, in its log
    groff-base                               # the man page test renders docs/netcp.1 (groff -man -ww)
    tmux                                     # the progress test runs netcp in a real terminal
)

missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# NETCP_REINSTALL=PKG: install PKG again even though it is there, so CI (whose machine has
# everything) still runs the install path a fresh machine takes, and sees its exit status.
reinstall=()
[[ -n ${NETCP_REINSTALL:-} ]] && reinstall=(--reinstall) && missing+=("$NETCP_REINSTALL")
[[ ${#missing[@]} -eq 0 ]] && exit 0

sudo=()
[[ $(id -u) -eq 0 ]] || sudo=(sudo)
echo "install-deps: installing ${missing[*]}" >&2

# Keep package scripts from starting system services (diod would start on port 564).
policy=/usr/sbin/policy-rc.d
made_policy=0
if [[ ! -e $policy ]]; then
    printf '#!/bin/sh\nexit 101\n' | "${sudo[@]}" tee "$policy" >/dev/null
    "${sudo[@]}" chmod 755 "$policy"
    made_policy=1
fi
# An if, not `[[ ]] && ...`: the trap's last status becomes the script's exit status, and a
# pre-existing policy (container images ship one) must not turn a good install into exit 1.
cleanup() { if [[ $made_policy -eq 1 ]]; then "${sudo[@]}" rm -f "$policy"; fi; }
trap cleanup EXIT

export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -qq
"${sudo[@]}" apt-get install -y -qq --no-install-recommends "${reinstall[@]}" "${missing[@]}" >/dev/null
