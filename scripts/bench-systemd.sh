#!/bin/bash
# What a transient scope costs: mcgexec's systemd manager beside
# `systemd-run --scope`, in the guest whose PID 1 is systemd (scripts/vm.sh
# --systemd), the cases interleaved launch by launch (bench/interleave.c).
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

if [ "${1:-}" = --in-guest ]; then
    # in a scope without Delegate=yes (a login session's shape): each
    # mcgexec takes a scope of its own, as systemd-run does
    build/bench_interleave "$RUNS" 3 \
        /bin/true ';;' \
        /usr/bin/systemd-run --scope --quiet /bin/true ';;' \
        build/mcgexec -e "group 'bench', memory: '64M'" -- true ';;' \
        build/mcgexec --manager=cgroupfs -e '' -- true | sed 's/^/BENCH /'
    left=$(systemctl list-units --all --no-legend 'mcgexec-*.scope' | wc -l)
    echo "BENCH left $left"
    echo "BENCH version $(systemctl --version | head -n 1)"
    exit 0
fi

scripts/build.sh >/dev/null
status=0
out=$(scripts/vm.sh --systemd --timeout 1800 -- \
          systemd-run --scope --quiet scripts/bench-systemd.sh --in-guest) || status=$?
[ "$status" -ne 77 ] || { echo "bench-systemd: the systemd guest cannot run here" >&2; exit 77; }
[ "$status" -eq 0 ] || { echo "$out" >&2; exit "$status"; }
lines=$(sed -n 's/^BENCH //p' <<< "$out" | tr -d '\r')
read -r t1 q1_1 q3_1 < <(sed -n 1p <<< "$lines")
read -r t2 q1_2 q3_2 < <(sed -n 2p <<< "$lines")
read -r t3 q1_3 q3_3 < <(sed -n 3p <<< "$lines")
read -r t4 q1_4 q3_4 < <(sed -n 4p <<< "$lines")
left=$(sed -n 's/^left //p' <<< "$lines")
version=$(sed -n 's/^version //p' <<< "$lines")
f() { awk -v a="$1" -v b="$2" -v c="${3:-0}" 'BEGIN { printf "%.1f", a - b - c }'; }
r() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
scope_mcg=$(f "$t3" "$t4")      # mcgexec with a scope, over mcgexec without
scope_run=$(f "$t2" "$t1")      # systemd-run --scope true, over true
section=$(cat <<MD
$HEADING

Reproduce: \`sudo RUNS=$RUNS scripts/bench-systemd.sh\` (writes this section).

In the guest of \`scripts/vm.sh --systemd\` ($version, Debian 12's kernel, software
emulation: absolute times are many times a real machine's), from a scope without
\`Delegate=yes\` (a login session's shape). Medians of $RUNS launches a case, interleaved, after 3 warm-up rounds.
Case S3: \`mcgexec -e "group 'bench', memory: '64M'" -- true\`, the systemd manager: a
transient scope with \`Delegate=yes\` through mcgexec-systemd, then the group below it; S4: mcgexec with no group (\`--manager=cgroupfs -e ''\`).

| case | median | first quartile | third quartile (ms) |
|---|---|---|---|
| S1 true | $t1 | $q1_1 | $q3_1 |
| S2 systemd-run --scope --quiet true | $t2 | $q1_2 | $q3_2 |
| S3 mcgexec, scope and group | $t3 | $q1_3 | $q3_3 |
| S4 mcgexec, no group | $t4 | $q1_4 | $q3_4 |

| target | value | |
|---|---|---|
| mcgexec's scope (S3 - S4) costs less than systemd-run's (S2 - S1) | $scope_mcg ms against $scope_run ms, $(r "$scope_mcg" "$scope_run") | $(awk -v a="$scope_mcg" -v b="$scope_run" 'BEGIN { print (a < b ? "met" : "missed") }') |
| S3 / S2: mcgexec with its scope and group, against systemd-run with its scope | $(r "$t3" "$t2") | |
| scopes of mcgexec's left after the run | $left | $( [ "$left" = 0 ] && echo met || echo missed) |
MD
)
if [ -f "$OUT" ] && grep -q "^$HEADING" "$OUT"; then
    sed -i "/^$HEADING/,\$d" "$OUT"
fi
printf '%s\n' "$section" >> "$OUT"
printf '%s\n' "$section"
