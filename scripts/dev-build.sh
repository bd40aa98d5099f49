#!/usr/bin/env bash
# Developer helper: build a preset under the shared build lock, print only our errors.
preset=${1:-debug}; shift
flock /tmp/netcp-build.lock cmake --build build/$preset "$@" 2>&1 | grep -E '^(/work/[^ ]*(error|warning)|FAILED|ninja: build stopped)|error:' | grep -v '^/usr/include' | cut -c1-300 | head -40
exit ${PIPESTATUS[0]}
