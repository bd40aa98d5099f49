# bash completion for netcp                                   -*- shell-script -*-
#
# Installed as ${datadir}/bash-completion/completions/netcp, where bash-completion
# loads it on demand; it needs nothing from that package (`source netcp.bash` works in
# any bash 4+). tests/check_cli_docs.sh keeps these lists equal to `netcp --help`.

# Every option netcp takes.
_netcp_long_opts='--help --version
    --recursive --no-target-directory --preserve --dereference --fsync --direct
    --write-through --json --stats --trace --cache --cache-size --no-progress
    --bwlimit --dry-run --update --ignore-existing --size-only --checksum --files-from --from0
    --no-resume
    --quiet --verbose
    --aname --unix-socket --uname --uid --auth --munge-socket --msize --depth --transfers
    --timeout --connect-timeout
    --vlserver --cellservdb --ccache --keytab --principal --realm --localauth
    --user --security'
_netcp_short_opts='-h -r -R -T -p -L -n -u -c -0 -q -v'
# The options that take a value: the word after one is its value, not an operand.
_netcp_arg_opts='--trace --cache --cache-size --bwlimit --files-from
    --aname --unix-socket --uname --uid --auth --munge-socket --msize --depth --transfers
    --timeout --connect-timeout
    --vlserver --cellservdb --ccache --keytab --principal --realm --localauth
    --user --security'
# netcp cache ACTION [--bytes] DIR: ACTION right after "cache".
_netcp_cache_actions='stats list clear'
_netcp_cache_opts='--bytes --help -h'

# Whether word $1 is one of the words in $2.
_netcp_in() {
    local w
    for w in $2; do [[ $w == "$1" ]] && return 0; done
    return 1
}

# COMPREPLY += the words "$@" prints, one per line (never split at spaces nor globbed).
_netcp_add() {
    mapfile -t -O "${#COMPREPLY[@]}" COMPREPLY < <("$@")
}

# COMPREPLY += local paths starting with $1 ($2: -f files and directories, -d
# directories), shown and quoted by bash as file names.
_netcp_files() {
    compopt -o filenames 2>/dev/null
    _netcp_add compgen "${2:--f}" -- "$1"
}

# The words as typed: bash splits "9p://host/x" at ':' (COMP_WORDBREAKS) into
# "9p" ":" "//host/x"; glue the pieces back. Sets _netcp_words and _netcp_cword.
_netcp_join_words() {
    _netcp_words=()
    _netcp_cword=0
    local i w n=-1 glue=0
    for ((i = 0; i < ${#COMP_WORDS[@]}; i++)); do
        w=${COMP_WORDS[i]}
        if ((n >= 0)) && [[ $COMP_WORDBREAKS == *:* ]] && { ((glue)) || [[ $w == :* ]]; }; then
            _netcp_words[n]+=$w
        else
            _netcp_words[++n]=$w
        fi
        glue=0
        [[ $w == *: ]] && glue=1
        ((i == COMP_CWORD)) && _netcp_cword=$n
    done
    ((n >= 0)) || _netcp_words=("")
}

# An operand: a local path, "-", or the start of a 9p:// or afs:// URL. Nothing
# remote is listed.
_netcp_operand() {
    local cur=$1 i
    [[ $cur == 9p://* || $cur == afs://* ]] && return 0
    local urls
    mapfile -t urls < <(compgen -W '9p:// afs://' -- "$cur")
    if ((${#urls[@]} == 0)); then
        ((_netcp_cword == 1)) && _netcp_add compgen -W cache -- "$cur"
        _netcp_files "$cur"
    else
        # With a URL among them, bash must not treat the words as file names (it
        # would escape the ':' and show "9p://" as its last path component, nothing):
        # directories get their '/' here, names are quoted here, and no space follows
        # (a URL is never complete).
        compopt -o nospace 2>/dev/null
        COMPREPLY+=("${urls[@]}")
        ((_netcp_cword == 1)) && _netcp_add compgen -W cache -- "$cur"
        local f
        while IFS= read -r f; do
            [[ -d $f ]] && f+=/
            COMPREPLY+=("$(printf '%q' "$f")")
        done < <(compgen -f -- "$cur")
    fi
    # bash replaces only what follows the word's last ':'.
    if [[ $cur == *:* && $COMP_WORDBREAKS == *:* ]]; then
        local colon_prefix=${cur%"${cur##*:}"}
        for i in "${!COMPREPLY[@]}"; do COMPREPLY[i]=${COMPREPLY[i]#"$colon_prefix"}; done
    fi
}

_netcp() {
    COMPREPLY=()
    local _netcp_words _netcp_cword
    _netcp_join_words
    local cur=${_netcp_words[_netcp_cword]} prev='' opt='' eq_prefix='' i
    ((_netcp_cword > 0)) && prev=${_netcp_words[_netcp_cword - 1]}

    # An option's value: "--auth VALUE", or "--auth=VALUE", which bash splits into
    # "--auth" "=" "VALUE" (or keeps whole when '=' is not in COMP_WORDBREAKS).
    if [[ $cur == = && $prev == --* ]]; then
        opt=$prev cur=''
    elif [[ $prev == = ]] && ((_netcp_cword >= 2)) && [[ ${_netcp_words[_netcp_cword - 2]} == --* ]]; then
        opt=${_netcp_words[_netcp_cword - 2]}
    elif [[ $cur == --*=* ]]; then
        opt=${cur%%=*} cur=${cur#*=} eq_prefix="$opt="
    elif _netcp_in "$prev" "$_netcp_arg_opts"; then
        opt=$prev
    fi
    if [[ -n $opt ]]; then
        case $opt in
        --auth) _netcp_add compgen -W 'auto munge krb5 none' -- "$cur" ;;
        --security) _netcp_add compgen -W 'clear auth crypt' -- "$cur" ;;
        --cache) _netcp_files "$cur" -d ;;
        --trace | --keytab | --localauth | --cellservdb | --files-from | --unix-socket | --munge-socket)
            _netcp_files "$cur" -f ;;
        --uname | --user) _netcp_add compgen -u -- "$cur" ;;
        *) ;;  # a number, a size, a rate, a host, a name: nothing to offer
        esac
        if [[ -n $eq_prefix ]]; then
            for i in "${!COMPREPLY[@]}"; do COMPREPLY[i]=$eq_prefix${COMPREPLY[i]}; done
        fi
        return 0
    fi

    # netcp cache ACTION [--bytes] DIR. "netcp cache 9p://host/x" copies a local file
    # called cache: with no action after "cache", these are operands as usual.
    if [[ ${_netcp_words[1]-} == cache ]] && ((_netcp_cword >= 2)); then
        if ((_netcp_cword == 2)); then
            if [[ $cur == -* ]]; then
                _netcp_add compgen -W '--help -h' -- "$cur"
                return 0
            fi
            _netcp_add compgen -W "$_netcp_cache_actions" -- "$cur"
            ((${#COMPREPLY[@]})) && return 0
        elif _netcp_in "${_netcp_words[2]}" "$_netcp_cache_actions"; then
            if [[ $cur == -* ]]; then
                _netcp_add compgen -W "$_netcp_cache_opts" -- "$cur"
            else
                _netcp_files "$cur" -d
            fi
            return 0
        fi
    fi

    if [[ $cur == --* ]]; then
        _netcp_add compgen -W "$_netcp_long_opts" -- "$cur"
    elif [[ $cur == -* ]]; then
        _netcp_add compgen -W "$_netcp_short_opts $_netcp_long_opts" -- "$cur"
        # "-" alone is also the operand meaning standard input or output.
        [[ $cur == - ]] && COMPREPLY+=(-)
    else
        _netcp_operand "$cur"
    fi
    return 0
} &&
    complete -F _netcp netcp
