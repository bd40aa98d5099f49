#!/usr/bin/env bash
# Usage: check_cli_docs.sh NETCP_BINARY SOURCE_DIR
#
# The man page (docs/netcp.1) and the bash completion (cli/completion/netcp.bash) stay
# equal to the options netcp has:
#   (a) every option `netcp --help` and `netcp cache --help` print is in the man page and
#       offered by the completion;
#   (b) the man page's OPTIONS (and the completion) name no option netcp does not have;
#   (c) the man page renders without a single groff warning;
#   (d) the completion works: option names, --auth/--security values, the cache actions,
#       and which options take a value;
#   (e) the man page's ENVIRONMENT lists the NETCP_* variables docs/environment.md does.
# Every problem found is printed; the exit status is 1 if there is any.
set -euo pipefail

# Options the man page and the completion already describe but `netcp --help` may not
# print yet (they are being added). Each is allowed to be missing from --help, nothing
# else. Remove each one as it lands in --help (this script says when one has); the list
# must end up empty. (The "-" operand, stdin/stdout, is documented too: not an option.)
PENDING_OPTIONS=""

[[ $# -eq 2 ]] || { echo "usage: $0 NETCP_BINARY SOURCE_DIR" >&2; exit 2; }
netcp=$1
root=$2
page=$root/docs/netcp.1
completion=$root/cli/completion/netcp.bash
envdoc=$root/docs/environment.md

problems=0
problem() { echo "check_cli_docs: $*"; problems=$((problems + 1)); }
for f in "$netcp" "$page" "$completion" "$envdoc"; do
    [[ -e $f ]] || { echo "check_cli_docs: $f does not exist"; exit 1; }
done

help=$("$netcp" --help) || { echo "check_cli_docs: '$netcp --help' failed"; exit 1; }
cache_help=$("$netcp" cache --help) || { echo "check_cli_docs: '$netcp cache --help' failed"; exit 1; }

# The option column of a CLI11 help text: for each option line ("  -r,-R,--recursive   Copy
# ..."), its names and, when it takes a value, its type ("--trace FILE", "--json (Env:...)").
option_column() { { grep -E '^  -' || true; } | sed -E 's/^  //; s/  +.*//'; }
# Option names, one per line: long ones without "--" (e.g. "cache-size"), short ones as "-r".
long_names() { option_column | awk '{print $1}' | tr ',' '\n' | sed -n 's/^--//p' | sort -u; }
short_names() { option_column | awk '{print $1}' | tr ',' '\n' | { grep -E '^-[^-]$' || true; } | sort -u; }
# Long options that take a value (a type name follows the names, not just "(Env:...)").
value_names() {
    option_column | awk '$2 != "" && $2 !~ /^\(/ {print $1}' | tr ',' '\n' | sed -n 's/^--//p' | sort -u
}
# The values CLI11 lists for an option checked with IsMember: "--auth TEXT:{auto,munge}".
member_values() { { grep -oE -- "^  $1 [A-Z]+:\{[^}]*\}" || true; } | sed -E 's/.*\{//; s/\}//' | tr ',' '\n' | sort; }

help_long=$(long_names <<<"$help")
help_short=$(short_names <<<"$help")
cache_long=$(long_names <<<"$cache_help")
all_long=$(sort -u <<<"$help_long"$'\n'"$cache_long")
pending=$(tr ' ' '\n' <<<"$PENDING_OPTIONS" | sed '/^$/d' | sort -u)
known_long=$(sort -u <<<"$all_long"$'\n'"$pending")
[[ -n $help_long ]] || { echo "check_cli_docs: found no options in '$netcp --help'"; exit 1; }

landed=$(comm -12 <(echo "$pending") <(echo "$help_long") | tr '\n' ' ')
[[ -z $landed ]] || echo "check_cli_docs: note: now in --help, remove from PENDING_OPTIONS: $landed"

# --- the man page ------------------------------------------------------------------------
# As a reader sees it: \- is a hyphen; fonts and zero-width escapes dropped; no comments.
plain() { sed -E '/^\.\\"/d; s/\\-/-/g; s/\\&//g; s/\\f[BIRP]//g; s/\\f\(..//g'; }
section() { awk -v name="$1" '/^\.SH/ {on = ($0 ~ "^\\.SH \"?" name "\"?$"); next} on'; }
page_text=$(plain <"$page")
options_text=$(section OPTIONS <"$page" | plain)
[[ -n $options_text ]] || problem "docs/netcp.1 has no .SH OPTIONS section"
dashed() { { grep -oE -- '(^|[^-[:alnum:]])--[[:alnum:]][-[:alnum:]]*' || true; } | sed -E 's/^[^-]*--//' | sort -u; }
page_long=$(dashed <<<"$page_text")
options_long=$(dashed <<<"$options_text")

# (a) every option of --help in OPTIONS, every option of cache --help somewhere in the page
for o in $(comm -23 <(grep -vx help <<<"$help_long") <(echo "$options_long")); do
    problem "docs/netcp.1: --$o (in 'netcp --help') is not documented in OPTIONS (write it as \\-\\-${o//-/\\-})"
done
for o in $(comm -23 <(grep -vx help <<<"$cache_long") <(echo "$page_long")); do
    problem "docs/netcp.1: --$o (in 'netcp cache --help') is not documented"
done
for s in $help_short; do
    grep -qE -- "(^|[^-[:alnum:]])$s([^-[:alnum:]]|$)" <<<"$options_text" ||
        problem "docs/netcp.1: the short option $s (in 'netcp --help') is not in OPTIONS (write it as \\$s)"
done
# (b) nothing documented that netcp does not have
for o in $(comm -23 <(echo "$options_long") <(sort -u <<<"$help_long"$'\n'"$pending")); do
    problem "docs/netcp.1: OPTIONS documents --$o, which 'netcp --help' does not print (nor is it in PENDING_OPTIONS)"
done
for o in $(comm -23 <(comm -23 <(echo "$page_long") <(echo "$options_long")) <(echo "$known_long")); do
    problem "docs/netcp.1 mentions --$o (outside OPTIONS), which neither 'netcp --help' nor 'netcp cache --help' prints"
done

# (c) renders cleanly, and option names are typed as \-\-name (a plain "-" may print as a
# Unicode hyphen, which a shell does not take)
if ! command -v groff >/dev/null; then
    problem "groff is not installed, cannot check that docs/netcp.1 renders (Debian: groff-base; scripts/install-deps.sh installs it)"
else
    if ! warnings=$(LC_ALL=C groff -man -ww -z "$page" 2>&1) || [[ -n $warnings ]]; then
        problem "docs/netcp.1 does not render cleanly (groff -man -ww -z):"$'\n'"$warnings"
    fi
fi
if bad=$(grep -nE -- '(^|[^\\])--[[:alnum:]]|(^|[^\\])-\\-|\\--' "$page" | grep -v '^[0-9]*:\.\\"'); then
    problem "docs/netcp.1: options must be written \\-\\-name, not:"$'\n'"$bad"
fi

# (e) the environment variables
env_doc=$(grep -oE 'NETCP_[A-Z0-9_]+' "$envdoc" | sort -u)
env_page=$(section ENVIRONMENT <"$page" | plain | grep -oE 'NETCP_[A-Z0-9_]+' | sort -u || true)
for v in $(comm -23 <(echo "$env_doc") <(echo "$env_page")); do
    problem "docs/netcp.1: $v (docs/environment.md) is not in ENVIRONMENT"
done
for v in $(comm -13 <(echo "$env_doc") <(echo "$env_page")); do
    problem "docs/netcp.1: ENVIRONMENT names $v, which docs/environment.md does not"
done

# --- the completion ----------------------------------------------------------------------
if ! err=$(bash -n "$completion" 2>&1); then
    problem "cli/completion/netcp.bash has a syntax error: $err"
fi
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
# Completes the words given (the last is the one being completed) as bash would, in an
# empty directory, with nothing but the completion file loaded; prints COMPREPLY sorted.
complete_words() {
    (cd "$scratch" && bash --noprofile --norc -c '
        source "$1" || exit 1
        shift
        complete -p netcp >/dev/null || { echo "complete -F _netcp netcp: not registered" >&2; exit 1; }
        COMP_WORDS=("$@")
        COMP_CWORD=$(($# - 1))
        COMP_LINE="$*"
        COMP_POINT=${#COMP_LINE}
        COMPREPLY=()
        _netcp
        ((${#COMPREPLY[@]} == 0)) || printf "%s\n" "${COMPREPLY[@]}"' _ "$completion" "$@") | sort -u
}
words() { tr '\n' ' ' | sed 's/ $//'; }
# expect "WHAT" "EXPECTED (sorted, one per line)" WORDS...
expect() {
    local what=$1 want=$2 got
    shift 2
    got=$(complete_words "$@") || true
    [[ $got == "$want" ]] ||
        problem "completion of '$*': $what: got [$(words <<<"$got")], want [$(words <<<"$want")]"
}

comp_long=$(complete_words netcp -- | sed -n 's/^--//p' | sort -u)
for o in $(comm -23 <(echo "$help_long") <(echo "$comp_long")); do
    problem "cli/completion/netcp.bash does not offer --$o (in 'netcp --help')"
done
for o in $(comm -23 <(echo "$comp_long") <(sort -u <<<"$help_long"$'\n'"$pending")); do
    problem "cli/completion/netcp.bash offers --$o, which 'netcp --help' does not print (nor is it in PENDING_OPTIONS)"
done
comp_short=$(complete_words netcp - | grep -E '^-[^-]$' | sort -u || true)
for s in $(comm -23 <(echo "$help_short") <(echo "$comp_short")); do
    problem "cli/completion/netcp.bash does not offer $s (in 'netcp --help')"
done
comp_cache=$(complete_words netcp cache stats -- | sed -n 's/^--//p' | sort -u)
for o in $(comm -23 <(echo "$cache_long") <(echo "$comp_cache")); do
    problem "cli/completion/netcp.bash does not offer --$o after 'netcp cache stats' (in 'netcp cache --help')"
done
for o in $(comm -13 <(echo "$cache_long") <(echo "$comp_cache")); do
    problem "cli/completion/netcp.bash offers --$o after 'netcp cache stats', which 'netcp cache --help' does not print"
done

# (d) what a user types
if grep -qx bwlimit <<<"$help_long"; then
    expect "the option" "--bwlimit" netcp --bw
else
    expect "the options" $'--cache\n--cache-size' netcp --ca
fi
# The values --help lists (CLI11 prints "{auto,munge,krb5,none}"), which are also the ones
# this test was written for.
auth_values=$(member_values --auth <<<"$help")
[[ $auth_values == $'auto\nkrb5\nmunge\nnone' ]] ||
    problem "'netcp --help' lists [$(words <<<"$auth_values")] for --auth, not auto munge krb5 none: update the completion and the man page"
expect "the --auth values" "$auth_values" netcp --auth ''
expect "the --auth values" "$auth_values" netcp -r --auth = ''
security_values=$(member_values --security <<<"$help")
[[ -n $security_values ]] || problem "'netcp --help' lists no values for --security"
expect "the --security values" "$security_values" netcp --security ''
actions=$({ grep -oE -- '^  ACTION [A-Z]+:\{[^}]*\}' <<<"$cache_help" || true; } | sed -E 's/.*\{//; s/\}//' | tr ',' '\n' | sort)
[[ -n $actions ]] || problem "'netcp cache --help' lists no ACTION values"
expect "the cache actions" "$actions" netcp cache ''
# Which options take a value: after one, the next word is its value (no operands offered);
# after a flag, an operand (the URL prefixes are offered).
help_values=$(value_names <<<"$help")
for o in $help_long; do
    [[ $o == help || $o == version ]] && continue
    offered=$(complete_words netcp "--$o" '')
    if grep -qx "$o" <<<"$help_values"; then
        ! grep -qx '9p://' <<<"$offered" ||
            problem "cli/completion/netcp.bash: --$o takes a value, but the word after it is completed as an operand (add it to _netcp_arg_opts)"
    else
        grep -qx '9p://' <<<"$offered" ||
            problem "cli/completion/netcp.bash: --$o takes no value, but the word after it is not completed as an operand (remove it from _netcp_arg_opts)"
    fi
done
expect "an operand" $'9p://\nafs://' netcp ./file ''
expect "a URL split at ':' by bash" "//" netcp 9p :

if ((problems > 0)); then
    echo "check_cli_docs: $problems problem(s)"
    exit 1
fi
echo "check_cli_docs: $(wc -l <<<"$help_long") + $(wc -l <<<"$cache_long") long options, all in docs/netcp.1 and cli/completion/netcp.bash; pending: ${PENDING_OPTIONS:-none}"
