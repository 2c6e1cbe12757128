#!/bin/sh
# Resident memory of the waiting supervisor (mcgexec --wait) against a peer
# supervisor run side by side: coreutils timeout(1), which also forks,
# waits and forwards signals.  Prints VmRSS in KiB and the ratio, and the
# memory only the supervisor holds (Private_Dirty of smaps_rollup: its
# heap and stack; clean file pages stay in the page cache either way).
#
#   sudo scripts/bench-supervisor.sh [RUNS]
#
# The groups go below this shell's own cgroups (--root self) and are
# removed (--rm).
set -eu
cd "$(dirname "$0")/.."
MCGEXEC=${MCGEXEC:-build/mcgexec}
runs=${1:-5}
# A binary just linked or copied sits in the page cache as dirty pages
# until it is written back, and smaps counts the dirty file pages a
# process maps privately as its Private_Dirty: 1978 KiB for a copy made
# seconds before, 106 KiB once written.  So it is written first.
sync "$MCGEXEC"

rss() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status"; }
dirty() { awk '/^Private_Dirty:/ { print $2 }' "/proc/$1/smaps_rollup"; }

policy='group Mcgexec.unique("bench-supervisor"), memory: "256M", pids: 64, cpu: "100%"'
m_total=0
t_total=0
md_total=0
td_total=0
i=0
while [ "$i" -lt "$runs" ]; do
    MCGEXEC_ROOT=self "$MCGEXEC" --rm --stats="/dev/null" -e "$policy" -- sleep 1.5 &
    m=$!
    timeout 60 sleep 1.5 &
    t=$!
    sleep 0.7
    m_rss=$(rss "$m")
    t_rss=$(rss "$t")
    md_total=$((md_total + $(dirty "$m")))
    td_total=$((td_total + $(dirty "$t")))
    wait "$m" "$t"
    m_total=$((m_total + m_rss))
    t_total=$((t_total + t_rss))
    i=$((i + 1))
done
m_avg=$((m_total / runs))
t_avg=$((t_total / runs))
echo "supervisor resident memory while waiting, mean of $runs runs:"
echo "  mcgexec --rm --stats (policy: cpu, memory, pids): $m_avg KiB"
echo "  timeout(1):                                     $t_avg KiB"
awk -v m="$m_avg" -v t="$t_avg" 'BEGIN { printf "  ratio mcgexec/timeout: %.2f\n", m / t }'
echo "private dirty memory (what each really holds), mean:"
echo "  mcgexec: $((md_total / runs)) KiB, timeout(1): $((td_total / runs)) KiB"
