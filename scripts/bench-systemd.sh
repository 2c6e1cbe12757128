#!/bin/bash
# What a transient scope costs: mcgexec's systemd manager beside
# `systemd-run --scope`, in the guest whose PID 1 is systemd (scripts/vm.sh
# --systemd), the cases interleaved launch by launch (bench/interleave.c);
# then the same as an ordinary user, beside `systemd-run --user --scope`.
# Replaces the section "## A transient scope on a systemd host" at the end
# of bench/RESULTS.md.
#
#   sudo scripts/bench-systemd.sh          # RUNS=40 launches a case
#
# The guest runs under software emulation: its absolute times are many
# times a real machine's; the ratios are what to read.
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${RUNS:-40}
OUT=${OUT:-bench/RESULTS.md}
HEADING="## A transient scope on a systemd host"

# The cases, interleaved, each line prefixed with $1 (scope: PID 1's,
# user: the user manager's).  A pause of $SETTLE seconds follows every
# launch, its time not counted (bench/interleave.c --pause): what a scope
# leaves to its manager when its last process exits (stopping the unit,
# removing its cgroups) is done in the background, and without the pause
# it fell on whichever launch came next.  Without it, in one guest, S7
# took 406 ms where it followed S6 and 232 ms where it came first, and
# S7 / S5 read 0.84 in one order and 0.59 in the other; with it, 0.72
# and 0.89.
SETTLE=${SETTLE:-0.5}
cases() {
    local user=()
    [ "$1" != user ] || user=(--user)
    build/bench_interleave --pause "$SETTLE" "$RUNS" 3 \
        /bin/true ';;' \
        /usr/bin/systemd-run "${user[@]}" --scope --quiet /bin/true ';;' \
        build/mcgexec -e "group 'bench', memory: '64M'" -- true ';;' \
        build/mcgexec --manager=cgroupfs -e '' -- true ';;' \
        /usr/bin/systemd-run "${user[@]}" --scope --quiet -p MemoryMax=64M -p CPUQuota=50% \
            -p TasksMax=64 /bin/true ';;' \
        build/mcgexec -e "group 'bench', memory: '64M', cpu: '50%', pids: 64" -- true ';;' \
        build/mcgexec --rm -e "group 'bench', memory: '64M', cpu: '50%', pids: 64" -- true |
        sed "s/^/BENCH $1 /"
}
if [ "${1:-}" = --cases ]; then
    cases "$2"
    exit 0
fi
if [ "${1:-}" = --in-guest ]; then
    # from a scope without Delegate=yes (a login session's shape): each
    # mcgexec takes a scope of its own, as systemd-run does
    # (a service without Delegate=yes, such as mcgexec-vm.service, is
    # refused; one with it needs no scope)
    systemd-run --scope --quiet "$0" --cases scope
    # an ordinary user, from a scope of their manager's (a login's shape)
    uid=$(id -u tester)
    systemctl start "user@$uid.service"
    runuser -u tester -- env XDG_RUNTIME_DIR="/run/user/$uid" \
        systemd-run --user --scope --quiet "$0" --cases user
    left=$(( $(systemctl list-units --all --no-legend 'mcgexec-*.scope' | wc -l) +
             $(find "/sys/fs/cgroup/user.slice/user-$uid.slice" -name 'mcgexec-*.scope' | wc -l) ))
    echo "BENCH left $left"
    echo "BENCH version $(systemctl --version | head -n 1)"
    exit 0
fi

scripts/build.sh >/dev/null
status=0
out=$(scripts/vm.sh --systemd --timeout 1800 -- scripts/bench-systemd.sh --in-guest) || status=$?
[ "$status" -ne 77 ] || { echo "bench-systemd: the systemd guest cannot run here" >&2; exit 77; }
[ "$status" -eq 0 ] || { echo "$out" >&2; exit "$status"; }
lines=$(sed -n 's/^BENCH //p' <<< "$out" | tr -d '\r')
left=$(sed -n 's/^left //p' <<< "$lines")
version=$(sed -n 's/^version //p' <<< "$lines")
f() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", a - b }'; }
r() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
verdict() { awk -v a="$1" -v b="$2" 'BEGIN { print (a < b ? "met" : "missed") }'; }
rows="" targets=""
for ctx in scope user; do
    user=""
    [ "$ctx" = scope ] || user="--user "
    mapfile -t t < <(sed -n "s/^$ctx //p" <<< "$lines")
    read -r t1 a1 b1 <<< "${t[0]}"
    read -r t2 a2 b2 <<< "${t[1]}"
    read -r t3 a3 b3 <<< "${t[2]}"
    read -r t4 a4 b4 <<< "${t[3]}"
    read -r t5 a5 b5 <<< "${t[4]}"
    read -r t6 a6 b6 <<< "${t[5]}"
    read -r t7 a7 b7 <<< "${t[6]}"
    rows+="| $ctx | S1 true | $t1 | $a1 | $b1 |
| $ctx | S2 systemd-run ${user}--scope --quiet true | $t2 | $a2 | $b2 |
| $ctx | S3 mcgexec, scope and group | $t3 | $a3 | $b3 |
| $ctx | S4 mcgexec, no group | $t4 | $a4 | $b4 |
| $ctx | S5 systemd-run ${user}--scope with MemoryMax, CPUQuota, TasksMax | $t5 | $a5 | $b5 |
| $ctx | S6 mcgexec, scope and group with memory, cpu, pids | $t6 | $a6 | $b6 |
| $ctx | S7 the same with --rm | $t7 | $a7 | $b7 |
"
    mcg=$(f "$t3" "$t4") run=$(f "$t2" "$t1")
    targets+="| from a $ctx: mcgexec's scope (S3 - S4) costs less than systemd-run's (S2 - S1) | $mcg ms against $run ms, $(r "$mcg" "$run") | $(verdict "$mcg" "$run") |
| from a $ctx: S3 / S2 | $(r "$t3" "$t2") | |
| from a $ctx: S6 / S5 <= 1.0 (three limits) | $(r "$t6" "$t5") | $(verdict "$(r "$t6" "$t5")" 1.0001) |
| from a $ctx: S7 / S5 <= 1.0 (three limits, --rm) | $(r "$t7" "$t5") | $(verdict "$(r "$t7" "$t5")" 1.0001) |
"
done
section=$(cat <<MD
$HEADING

Reproduce: \`sudo RUNS=$RUNS scripts/bench-systemd.sh\` (writes this section).

In the guest of \`scripts/vm.sh --systemd\` ($version, Debian 12's kernel, software
emulation: absolute times are many times a real machine's). Medians of $RUNS launches a
case, interleaved in an order shuffled every round, after 3 warm-up rounds, each launch
followed by a pause of $SETTLE s that is not counted (the unit's teardown that systemd does
after a scope's last process has exited is not left to fall on the next launch), from a
scope without \`Delegate=yes\` (a login
session's shape: mcgexec's scope is a plain one, as systemd-run's; in a unit with
\`Delegate=yes\` mcgexec needs no scope, and in a service without it, it refuses): as root
from a scope of PID 1's (\`scope\`), and as an ordinary user from a scope of their own
manager's (\`user\`: mcgexec asks the user manager, beside \`systemd-run --user --scope\`).
S3: \`mcgexec -e "group 'bench', memory: '64M'" -- true\`, the systemd manager: a transient
scope with \`Delegate=yes\` through mcgexec-systemd, then the group below it; S4: mcgexec
with no group (\`--manager=cgroupfs -e ''\`); S5: systemd-run's scope with three limits,
S6: mcgexec's with the same three (\`memory: '64M', cpu: '50%', pids: 64\`), S7: S6 with
\`--rm\` (mcgexec waits for the job and removes its groups).

| from | case | median | first quartile | third quartile (ms) |
|---|---|---|---|---|
$rows
| target | value | |
|---|---|---|
$targets| scopes of mcgexec's left after the runs | $left | $( [ "$left" = 0 ] && echo met || echo missed) |
MD
)
if [ -f "$OUT" ] && grep -q "^$HEADING" "$OUT"; then
    sed -i "/^$HEADING/,\$d" "$OUT"
fi
printf '%s\n' "$section" >> "$OUT"
printf '%s\n' "$section"
