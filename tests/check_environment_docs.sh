#!/usr/bin/env bash
# Every NETCP_* variable the command line reads (envname in cli/src/options.cpp, or
# getenv in cli/src) is in docs/environment.md, and the page names no variable that does
# not exist.
set -euo pipefail
root=$1
code=$( { grep -o 'envname("NETCP_[A-Z_]*")' "$root/cli/src/options.cpp" | sed 's/envname("//; s/")//'
         grep -oh 'getenv("NETCP_[A-Z_]*")' "$root"/cli/src/*.cpp | sed 's/getenv("//; s/")//'; } | sort -u)
doc=$(grep -o '^| `NETCP_[A-Z_]*`' "$root/docs/environment.md" | sed 's/^| `//; s/`$//' | sort -u)
missing=$(comm -23 <(echo "$code") <(echo "$doc"))
extra=$(comm -13 <(echo "$code") <(echo "$doc"))
[[ -z $missing ]] || { echo "not in docs/environment.md: $missing"; exit 1; }
[[ -z $extra ]] || { echo "in docs/environment.md but read by no option: $extra"; exit 1; }
echo "$(echo "$code" | wc -l) variables, all documented"
