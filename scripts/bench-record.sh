#!/bin/bash
# What --record costs, side by side with the same run without it and with
# timeout(1), and what it makes (writes the "--record" section of
# bench/RESULTS.md):
#
#   1. a CPU-bound job (10 s of its own CPU time: tests/tools/jobshape.c)
#      with and without --record at the default interval, RUNS pairs in
#      alternating order: the median wall time of each and their ratio;
#   2. the supervisor's own CPU time over a 10-second job, read from its
#      /proc/PID/schedstat by the job itself as it ends (no timing guess);
#   3. the supervisor's private dirty memory with a full record (1 ms
#      samples until the 1024 buckets have merged over and over) against
#      timeout(1) running the same sleep;
#   4. the size of that full record and of its SVG, which no job of any
#      length makes larger (the buckets and events are bounded).
#
#   sudo scripts/bench-record.sh [RUNS]
#
# The groups go below this shell's own cgroups (--root self) and are
# removed (--rm).
set -euo pipefail
cd "$(dirname "$0")/.."
MCGEXEC=${MCGEXEC:-build/mcgexec}
JOBSHAPE=${JOBSHAPE:-build/jobshape}
runs=${1:-3}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
sync "$MCGEXEC"
export MCGEXEC_ROOT=self
policy='n = Mcgexec.unique("bench-record"); group n, memory: "256M", pids: 64
        Cgroup::CPUACCT.new(n).create'

wall() { # seconds COMMAND... takes
    local t0 t1
    t0=$(date +%s.%N)
    "$@" >/dev/null
    t1=$(date +%s.%N)
    echo "$t1 - $t0" | bc -l
}
median() { sort -g | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }

# 1. a CPU-bound job
: > "$tmp/with"
: > "$tmp/without"
for i in $(seq "$runs"); do
    for how in without with; do
        [ $((i % 2)) -eq 0 ] && how=$([ "$how" = with ] && echo without || echo with)
        rec=()
        [ "$how" = with ] && rec=(--record="$tmp/r.json")
        wall "$MCGEXEC" --rm "${rec[@]}" -e "$policy" -- "$JOBSHAPE" spin 10 >> "$tmp/$how"
    done
done
w_with=$(median < "$tmp/with")
w_without=$(median < "$tmp/without")
ratio=$(echo "$w_with / $w_without" | bc -l)

# 2. the supervisor's CPU over a 10-second job: the job reads it as it ends
"$MCGEXEC" --rm --record="$tmp/r10.json" -e "$policy" -- \
    sh -c "sleep 10; cat /proc/\$PPID/schedstat > '$tmp/schedstat'"
sup_ns=$(awk '{ print $1 }' "$tmp/schedstat")
wall10=$(jq -r .wall_time_s "$tmp/r10.json")
samples10=$(jq -r .samples "$tmp/r10.json")
interval10=$(jq -r .interval_s "$tmp/r10.json")
share=$(echo "100 * $sup_ns / 1000000000 / $wall10" | bc -l)

# 3. dirty memory with a full record, against timeout(1)
dirty() { awk '/^Private_Dirty:/ { print $2 }' "/proc/$1/smaps_rollup"; }
"$MCGEXEC" --rm --interval 1ms --record="$tmp/full.json" --plot="$tmp/full.svg" -e "$policy" -- \
    sh -c "sleep 5; awk '/^Private_Dirty:/ { print \$2 }' /proc/\$PPID/smaps_rollup > '$tmp/dirty'"
timeout 60 sleep 3 &
t=$!
sleep 1.5
t_dirty=$(dirty "$t")
wait "$t"
m_dirty=$(cat "$tmp/dirty")
full_samples=$(jq -r .samples "$tmp/full.json")
rec_size=$(stat -c %s "$tmp/full.json")
svg_size=$(stat -c %s "$tmp/full.svg")

# 4b. the largest record any job makes: every series known in all 1024
# buckets, with as many digits as the format gives, and 256 events (the
# full record above, grown to that), and its SVG
jq -c '.samples = 1024 | .wall_time_s = 36000 |
    .series |= with_entries(.value = (if .key == "t_s" then [range(1024) | 36000 * (. + 1) / 1024]
        elif (.key | test("bytes|pids|periods")) then [range(1024) | 12345678901 + .]
        else [range(1024) | 12.345678 + . / 1000] end)) |
    .events = [range(256) | { t_s: (. * 140.6251), since_s: (. * 140.6), kind: "memory_high",
                              count: 123456 }]' "$tmp/full.json" > "$tmp/largest.json"
"$MCGEXEC" --plot="$tmp/largest.svg" --from="$tmp/largest.json"
big_rec=$(stat -c %s "$tmp/largest.json")
big_svg=$(stat -c %s "$tmp/largest.svg")

layout=$(jq -r .cgroup_version "$tmp/full.json")
report=$(cat <<EOF
## --record

Reproduce: \`sudo scripts/bench-record.sh $runs\` (writes this section).

Machine: $(uname -sr) $(uname -m), $(nproc) CPUs, cgroup v$layout, $(date +%F).

| what | measured | target |
|---|---|---|
| a job spinning 10 s of its own CPU, median wall time of $runs, without / with \`--record\` | $(printf '%.3f s / %.3f s: ratio %.4f' "$w_without" "$w_with" "$ratio") | ratio 1.01 at most |
| the supervisor's CPU time over a $(printf '%.1f' "$wall10") s job (its schedstat, read by the job as it ended; $samples10 buckets, interval $interval10 s at the end) | $(printf '%.1f ms: %.3f%% of the wall time' "$(echo "$sup_ns / 1000000" | bc -l)" "$share") | under 0.5% |
| private dirty memory with a full record ($full_samples buckets after 1 ms samples for 5 s), against timeout(1) | $m_dirty KiB / $t_dirty KiB: $(printf '%.2f' "$(echo "$m_dirty / $t_dirty" | bc -l)")x | under 2x |
| that full record, and its SVG | $((rec_size / 1024)) KiB, $((svg_size / 1024)) KiB | each under 500 KiB |
| the largest any job makes (every series in all 1024 buckets with the most digits, 256 events: the full record grown to that), and its SVG | $((big_rec / 1024)) KiB, $((big_svg / 1024)) KiB | each under 500 KiB |
EOF
)
echo "$report"
# the section replaces the one before it, the rest of the file stays
if [ -f bench/RESULTS.md ]; then
    awk '/^## --record$/ { skip = 1; next } skip && /^## / { skip = 0 } !skip' bench/RESULTS.md > "$tmp/results"
    { cat "$tmp/results"; echo; echo "$report"; } | cat -s > bench/RESULTS.md
fi
