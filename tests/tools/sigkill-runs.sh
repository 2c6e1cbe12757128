#!/usr/bin/env bash
# Kill mcgexec by SIGKILL at a uniformly random instant of its life, N
# times, then reclaim as documented (mcgexec --gc) and count what is left.
#
#   tests/tools/sigkill-runs.sh MODE N
#
# MODE: inplace (mcgexec POLICY -- true), wait (--wait), rm (--rm, a job
# that leaves a process behind), rm-timeout (--rm --timeout 100ms
# --kill-after 0, a job that outlives it).  Each run's policy makes its own
# nested groups (memory, cpu, pids: NAME/job, below mcgexec's own cgroup
# with --root self) and also "creates" two groups the script made: one
# with a live process of the script's in it, one empty.  Neither is the
# runs' to touch.
#
# Where in its life each run was killed is seen from outside (tests/tools/
# killat.c stops it first): as mcgexec, or after it exec'd COMMAND in
# place.  Groups kept by design are not counted as left: those of a run
# that had started COMMAND in place (they are the command's), and those of
# a --wait run that had ended, or whose state file was gone (its job had
# ended and been reported: --wait keeps the groups).  Every other run's
# groups must be gone after the reclaim, and no job process of a --rm run
# may be left.
#
# RECLAIM=next: the reclaim is the next run's, in passing, not --gc.
#
# MANAGER=systemd (run from a login session's shape: a scope systemd did
# not delegate): mcgexec's own manager, each run in a scope of its own;
# the control is a scope of the script's with a live process.  Nothing is
# kept by design there (the scope goes with its last process), so every
# run's scope and groups must be gone: after the reclaim, systemd is given
# up to 60 s to collect the scopes emptied (it does so on its own time).
#
# Prints the counts; exits 1 where anything of theirs is left or anything
# not theirs was touched.  Environment: MCGEXEC, KILLAT (the binaries),
# MCGEXEC_STATE_DIR (made if missing; default: a new temporary one).
set -u
TOP=$(cd "$(dirname "$0")/../.." && pwd)
MCGEXEC=${MCGEXEC:-$TOP/build/mcgexec}
KILLAT=${KILLAT:-$TOP/build/killat}
mode=$1 n=$2
systemd=
if [ "${MANAGER:-}" = systemd ]; then
    systemd=1
    unset MCGEXEC_ROOT MCGEXEC_MANAGER
else
    export MCGEXEC_ROOT=self
fi
if [ -z "${MCGEXEC_STATE_DIR:-}" ]; then
    MCGEXEC_STATE_DIR=$(mktemp -d)/state
fi
export MCGEXEC_STATE_DIR
tag="kr$$"
marker="9999.$$"      # the job's leftover: `sleep 9999.PID`, ours alone
ctl_marker="9998.$$"

is_v2() { [ "$(stat -fc %T /sys/fs/cgroup)" = cgroup2fs ]; }
# our own cgroup in controller $1
self_dir() {
    if is_v2; then
        echo "/sys/fs/cgroup$(sed -n 's/^0:://p' /proc/self/cgroup)" | sed 's|/$||'
    else
        local rel m
        m=$(awk -v c="$1" '$3 == "cgroup" { n = split($4, o, ","); for (i = 1; i <= n; i++) if (o[i] == c) { print $2; exit } }' /proc/self/mounts)
        rel=$(awk -F: -v c="$1" '{ n = split($2, o, ","); for (i = 1; i <= n; i++) if (o[i] == c) print $3 }' /proc/self/cgroup)
        echo "$m${rel%/}"
    fi
}
if [ -n "$systemd" ]; then
    dirs=
else
    dirs=$( { self_dir memory; self_dir cpu; self_dir pids; } | sort -u)
fi

# the control groups: one holding a live process of ours, one empty
ctl_pid=
cleanup() {
    [ -z "$ctl_pid" ] || kill -KILL "$ctl_pid" 2>/dev/null
    pkill -KILL -f "^sleep $marker\$" 2>/dev/null
    wait 2>/dev/null
    local d g
    for d in $dirs; do
        for g in "$d/$tag"-*; do
            [ -d "$g" ] || continue
            find "$g" -depth -type d -exec rmdir {} + 2>/dev/null
        done
    done
}
trap cleanup EXIT
if [ -n "$systemd" ]; then
    systemd-run --scope --quiet --unit "$tag-ctl" sleep "$ctl_marker" &
    ctl_pid=$!
    disown "$ctl_pid"
    for _ in $(seq 100); do
        [ "$(systemctl show -P ActiveState "$tag-ctl.scope")" = active ] && break
        sleep 0.1
    done
else
    sleep "$ctl_marker" &
    ctl_pid=$!
    disown "$ctl_pid"
fi
for d in $dirs; do
    mkdir "$d/$tag-ctl" "$d/$tag-ctl-empty" || exit 2
done
if [ -n "$systemd" ]; then
    :
elif is_v2; then
    echo "$ctl_pid" > "$(self_dir memory)/$tag-ctl/cgroup.procs" || exit 2
else
    for d in $dirs; do echo "$ctl_pid" > "$d/$tag-ctl/cgroup.procs" || exit 2; done
fi

policy_ctl='ctl = ENV["KR_CTL"]
Cgroup::CPU.new(ctl).create
Cgroup::MEMORY.new(ctl + "-empty").create
'
policy='n = ENV["KR_GROUP"]
m = Cgroup::MEMORY.new(n + "/job")
m.limit_in_bytes = 256 * 1024 * 1024
m.create
m.attach
c = Cgroup::CPU.new(n + "/job")
c.cfs_quota_us = 100_000
c.create
c.attach
p = Cgroup::PIDS.new(n + "/job")
p.max = 64
p.create
p.attach'
export KR_CTL="$tag-ctl"
# (under systemd, names resolve in the run's own scope: none is shared)
[ -n "$systemd" ] || policy="$policy_ctl$policy"

case $mode in
    inplace) cmd=("$MCGEXEC" -e "$policy" -- true) ;;
    wait) cmd=("$MCGEXEC" --wait -e "$policy" -- true) ;;
    rm) cmd=("$MCGEXEC" --rm -e "$policy" -- sh -c "sleep $marker & exit 0") ;;
    rm-timeout) cmd=("$MCGEXEC" --rm --timeout 100ms --kill-after 0 -e "$policy" --
                     sh -c "sleep $marker & exec sleep $marker") ;;
    *) echo "usage: $0 inplace|wait|rm|rm-timeout N" >&2; exit 2 ;;
esac

# A run's life, measured: the median of five whole runs (microseconds).
lives=()
for i in 1 2 3 4 5; do
    export KR_GROUP="$tag-measure$i"
    read -r _ _ t <<< "$("$KILLAT" 0 "$MCGEXEC_STATE_DIR" "${cmd[@]}")"
    lives+=("$t")
done
life=$(printf '%s\n' "${lives[@]}" | sort -n | sed -n 3p)
cleanup_measure() {
    local d
    for d in $dirs; do
        find "$d" -maxdepth 1 -name "$tag-measure*" -exec find {} -depth -type d -delete \; 2>/dev/null
    done
}
cleanup_measure
pkill -KILL -f "^sleep $marker\$" 2>/dev/null
# killed anywhere from before the policy to after the exit
window=$((life * 11 / 10 + 1))

as_mcgexec=0 with_state=0 in_command=0 ended=0
must_go=()
for i in $(seq 1 "$n"); do
    export KR_GROUP="$tag-$i"
    # (killat returns once the run is dead and reaped)
    read -r _ where state <<< "$("$KILLAT" "$window" "$MCGEXEC_STATE_DIR" "${cmd[@]}")"
    case $where in
        mcgexec) as_mcgexec=$((as_mcgexec + 1)); [ "$state" = run ] && with_state=$((with_state + 1)) ;;
        command) in_command=$((in_command + 1)) ;;
        *) ended=$((ended + 1)) ;;
    esac
    keep=0
    if [ "$mode" = inplace ] && { [ "$where" = command ] || [ "${state:-}" = exec ]; }; then
        keep=1   # in place: COMMAND had started (or was being started)
    elif [ "$mode" = wait ] && { [ "$where" = exited ] || [ "${state:-}" = none ]; }; then
        keep=1   # --wait: the job had ended and been reported
    elif [ "$mode" = inplace ] && [ "$where" = exited ]; then
        keep=1
    fi
    [ "$keep" = 1 ] && [ -z "$systemd" ] || must_go+=("$KR_GROUP")
done

# the documented reclaim: mcgexec --gc, or (RECLAIM=next) the next run in
# passing, one that makes no group of its own
if [ "${RECLAIM:-gc}" = next ]; then
    said=$("$MCGEXEC" -e 'Cgroup::CPU.new(ENV["KR_CTL"]).create' -- true 2>&1)
else
    said=$("$MCGEXEC" --gc 2>&1)
fi
gc_status=$?

# the runs' scopes and groups (systemd): none may be left once systemd has
# collected the scopes the reclaim emptied
scopes_left() {
    systemctl list-units --all --no-legend --plain 'mcgexec-*' 2>/dev/null | grep -c "$tag"
}
groups_left() {
    find /sys/fs/cgroup -mindepth 1 -maxdepth 6 -type d -name "mcgexec-$tag-*" 2>/dev/null | wc -l
}
if [ -n "$systemd" ]; then
    for _ in $(seq 120); do
        [ "$(scopes_left)" -eq 0 ] && [ "$(groups_left)" -eq 0 ] && break
        sleep 0.5
    done
fi
left=0
for g in "${must_go[@]}"; do
    for d in $dirs; do
        [ -d "$d/$g" ] && left=$((left + 1))
    done
done
kept=0
for d in $dirs; do
    for g in "$d/$tag"-[0-9]*; do [ -d "$g" ] && kept=$((kept + 1)); done
done
kept=$((kept - left))
if [ -n "$systemd" ]; then
    left=$(($(scopes_left) + $(groups_left)))
    kept=0
fi
procs=$(pgrep -c -f "^sleep $marker\$")
untouched=yes
kill -0 "$ctl_pid" 2>/dev/null || untouched=no
for d in $dirs; do
    [ -d "$d/$tag-ctl" ] && [ -d "$d/$tag-ctl-empty" ] || untouched=no
done
if [ -n "$systemd" ]; then
    [ "$(systemctl show -P ActiveState "$tag-ctl.scope")" = active ] || untouched=no
else
    grep -qx "$ctl_pid" "$(self_dir cpu)/$tag-ctl/cgroup.procs" 2>/dev/null || untouched=no
fi
files=$(find "$MCGEXEC_STATE_DIR" -name '*.run' 2>/dev/null | wc -l)

echo "$mode: $n runs killed at random in ${window} us: $as_mcgexec as mcgexec ($with_state with" \
     "groups named), $in_command in COMMAND (in place), $ended had ended"
echo "$mode: after ${RECLAIM:-gc} (status $gc_status): $left groups of those runs left${systemd:+ (scopes and groups)}," \
     "$procs job processes left, $files run files left; kept by design: $kept;" \
     "the control groups untouched: $untouched"
if [ "$left" -ne 0 ] || [ "$procs" -ne 0 ] || [ "$files" -ne 0 ]; then
    echo "the reclaim said: $said"
    if [ -n "$systemd" ]; then
        systemctl list-units --all --no-legend --plain 'mcgexec-*' | grep "$tag"
        find /sys/fs/cgroup -mindepth 1 -maxdepth 6 -type d -name "mcgexec-$tag-*" | while read -r x; do
            echo "left: $x: $(find "$x" -name cgroup.procs -exec cat {} + | tr '\n' ' ')"
        done
    fi
    for g in "${must_go[@]}"; do
        for d in $dirs; do
            find "$d/$g" -type d 2>/dev/null | while read -r x; do
                echo "left: $x: $(tr '\n' ' ' < "$x/cgroup.procs")"
            done
        done
    done
    for f in "$MCGEXEC_STATE_DIR"/*.run; do
        [ -f "$f" ] && { echo "left: $f"; cat "$f"; }
    done
    for p in $(pgrep -f "^sleep $marker\$"); do
        echo "left: process $p: $(tr '\n' ' ' < "/proc/$p/cgroup")"
    done
fi
[ "$left" -eq 0 ] && [ "$procs" -eq 0 ] && [ "$untouched" = yes ] && [ "$files" -eq 0 ] &&
    [ "$gc_status" -eq 0 ]
