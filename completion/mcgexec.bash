# bash completion for mcgexec(1)
#
#   mcgexec [OPTIONS] POLICY [--] COMMAND [ARG...]
#
# Options, their arguments (users and groups for --user, directories or
# "self" for --root, text, json, markdown, openmetrics for --stats-format, signals for
# --timeout-signal, the managers for
# --manager, slices systemd knows for --slice), policy files (*.rb and
# mrbc's *.mrb), then the command and its own arguments.  Works on its own;
# uses bash-completion's helpers for COMMAND when they are loaded.

_mcgexec()
{
    local cur prev i word eval_given=0
    local opts="-e --eval -n --dry-run -v --verbose -r --root -w --wait --rm -t --timeout
                --kill-after --timeout-signal --stats --stats= --stats-format= --record= --interval
                -u --user --no-new-privs --list-settings --gc
                --manager= --slice --scope -h --help -V --version"
    COMPREPLY=()
    cur=${COMP_WORDS[COMP_CWORD]}
    prev=${COMP_WORDS[COMP_CWORD-1]}

    # The first operand: POLICY, or COMMAND when -e gave the policy.
    local first=0
    for ((i = 1; i < COMP_CWORD; i++)); do
        word=${COMP_WORDS[i]}
        case $word in
            -e|--eval) eval_given=1; ((i++)) ;;
            --eval=*) eval_given=1 ;;
            -r|--root|-t|--timeout|--kill-after|--timeout-signal|--interval|-u|--user|--manager|--slice) ((i++)) ;;
            -*) ;;
            *) first=$i; break ;;
        esac
    done

    if ((first > 0)); then
        local cmd_at=$first
        if ((!eval_given)); then
            # after POLICY: an optional --, then COMMAND and its arguments
            cmd_at=$((first + 1))
            [[ ${COMP_WORDS[cmd_at]} == -- ]] && ((cmd_at++))
        fi
        if ((COMP_CWORD == cmd_at)); then
            [[ $cur == - || $cur == -- ]] && ((!eval_given)) && { COMPREPLY=(--); return; }
            COMPREPLY=($(compgen -c -- "$cur"))
        elif ((COMP_CWORD > cmd_at)); then
            if declare -F _command_offset >/dev/null; then
                _command_offset "$cmd_at"
            else
                COMPREPLY=($(compgen -f -- "$cur"))
            fi
        fi
        return
    fi

    case $prev in
        -u|--user)
            if [[ $cur == *:* ]]; then
                COMPREPLY=($(compgen -g -P "${cur%%:*}:" -- "${cur#*:}"))
            else
                COMPREPLY=($(compgen -u -- "$cur"))
            fi
            return ;;
        -r|--root)
            COMPREPLY=($(compgen -W self -- "$cur") $(compgen -d -- "$cur"))
            return ;;
        --manager)
            COMPREPLY=($(compgen -W "auto systemd cgroupfs" -- "$cur"))
            return ;;
        --timeout-signal)
            COMPREPLY=($(compgen -W "TERM INT HUP QUIT USR1 USR2 KILL" -- "${cur^^}"))
            return ;;
        --slice)
            COMPREPLY=($(compgen -W "$(systemctl list-units --all --type=slice --plain --no-legend \
                2>/dev/null | awk '{ print $1 }')" -- "$cur"))
            return ;;
        -t|--timeout|--kill-after|--interval|-e|--eval)
            return ;;
    esac
    case $cur in
        --manager=*)
            COMPREPLY=($(compgen -W "auto systemd cgroupfs" -- "${cur#*=}"))
            return ;;
        --stats-format=*)
            COMPREPLY=($(compgen -W "text json markdown openmetrics" -- "${cur#*=}"))
            return ;;
        --stats=*|--record=*)
            COMPREPLY=($(compgen -f -- "${cur#*=}"))
            return ;;
        -*)
            COMPREPLY=($(compgen -W "$opts" -- "$cur"))
            [[ ${COMPREPLY[0]} == *= ]] && compopt -o nospace 2>/dev/null
            return ;;
    esac
    if ((eval_given)); then
        COMPREPLY=($(compgen -c -- "$cur"))
        return
    fi
    # POLICY: Ruby source or mrbc bytecode, and directories to get there
    compopt -o filenames 2>/dev/null
    COMPREPLY=($(compgen -d -- "$cur") $(compgen -f -X '!*.rb' -- "$cur")
               $(compgen -f -X '!*.mrb' -- "$cur"))
}
complete -F _mcgexec mcgexec
