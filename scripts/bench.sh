#!/bin/bash
# Start-up benchmark: mcgexec side by side with cgexec and with the floor
# (bench/floor.c: the same cgroupfs writes and attach, nothing else), all
# cases in one run so that machine drift cancels.  Writes bench/RESULTS.md.
#
#   sudo scripts/bench.sh            # RUNS=200 launches a case
#
# cgroup v1 hosts (cgexec 2.0.2 has no v2 support worth measuring).  Groups
# go below this shell's own cgroups and are removed afterwards.
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${RUNS:-200}
OUT=${OUT:-bench/RESULTS.md}

scripts/setup.sh
for p in hyperfine cgroup-tools valgrind jq; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' ||
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$p" >/dev/null
done
scripts/build.sh >/dev/null
M=$(pwd)/build/mcgexec
FLOOR=$(pwd)/build/bench_floor
[ "$(stat -f -c %T /sys/fs/cgroup)" != cgroup2fs ] || { echo "bench: needs a cgroup v1 host" >&2; exit 77; }

own() { awk -F: -v c="$1" '{ n = split($2, o, ","); for (i = 1; i <= n; i++) if (o[i] == c) print $3 }' /proc/self/cgroup; }
dir_of() { local r; r=$(own "$1"); echo "/sys/fs/cgroup/$1${r%/}"; }
rel_of() { local r; r=$(own "$1"); echo "${r%/}"; }

G=mcgbench-$$
F=mcgbench-fresh-$$
CTRLS="cpu cpuacct cpuset memory blkio"
TMP=$(mktemp -d)
cleanup() {
    for c in $CTRLS; do rmdir "$(dir_of $c)/$G" "$(dir_of $c)/$F" 2>/dev/null || true; done
    rm -rf "$TMP"
}
trap cleanup EXIT

# the existing group G, in all five
for c in $CTRLS; do mkdir -p "$(dir_of $c)/$G"; done
cat "$(dir_of cpuset)/cpuset.cpus" > "$(dir_of cpuset)/$G/cpuset.cpus"
cat "$(dir_of cpuset)/cpuset.mems" > "$(dir_of cpuset)/$G/cpuset.mems"
disk=$(findmnt -no MAJ:MIN -T . | tr -d ' ')
[ -e "/sys/dev/block/$disk/partition" ] && disk=$(cat "/sys/dev/block/$disk/../dev")

# one limit in each controller that has one (cpuacct: joined only)
policy() { # $1 group name expression, $2 method (modify or create)
    cat <<RUBY
g = $1
c = Cgroup::CPU.new(g); c.cfs_quota_us = 50000; c.$2
Cgroup::CPUACCT.new(g).$2
s = Cgroup::CPUSET.new(g); s.cpus = "0"; s.$2
m = Cgroup::MEMORY.new(g); m.limit_in_bytes = "512M"; m.$2
b = Cgroup::BLKIO.new(g); b.throttle_read_bps_device = "$disk 100M"; b.$2
RUBY
}
policy "'$G'" modify > "$TMP/existing.rb"
mrbc -o "$TMP/existing.mrb" "$TMP/existing.rb"
policy "'$F'" create > "$TMP/fresh.rb"

writes=(write "$(dir_of cpu)/$G/cpu.cfs_quota_us" 50000
        write "$(dir_of cpuset)/$G/cpuset.cpus" 0
        write "$(dir_of memory)/$G/memory.limit_in_bytes" 536870912
        write "$(dir_of blkio)/$G/blkio.throttle.read_bps_device" "$disk 104857600")
attaches=()
for c in $CTRLS; do attaches+=(attach "$(dir_of $c)/$G/cgroup.procs"); done
fresh=()
for c in $CTRLS; do fresh+=(mkdir "$(dir_of $c)/$F"); done
fresh+=(write "$(dir_of cpuset)/$F/cpuset.cpus" "$(cat "$(dir_of cpuset)/cpuset.cpus")"
        write "$(dir_of cpuset)/$F/cpuset.mems" "$(cat "$(dir_of cpuset)/cpuset.mems")"
        write "$(dir_of cpu)/$F/cpu.cfs_quota_us" 50000
        write "$(dir_of cpuset)/$F/cpuset.cpus" 0
        write "$(dir_of memory)/$F/memory.limit_in_bytes" 536870912
        write "$(dir_of blkio)/$F/blkio.throttle.read_bps_device" "$disk 104857600")
for c in $CTRLS; do fresh+=(attach "$(dir_of $c)/$F/cgroup.procs"); done
for c in $CTRLS; do fresh+=(rmdir "$(dir_of $c)/$F"); done

q() { printf '%q ' "$@"; }
export MCGEXEC_ROOT=self
hyperfine -N --warmup 20 --runs "$RUNS" --export-json "$TMP/h.json" \
    -n "1 true" "true" \
    -n "2 cgexec" "cgexec -g cpu,cpuacct,cpuset,blkio:$(rel_of cpu)/$G -g memory:$(rel_of memory)/$G true" \
    -n "3 mcgexec" "$M $TMP/existing.rb true" \
    -n "3b mcgexec (mrbc bytecode)" "$M $TMP/existing.mrb true" \
    -n "4 floor" "$(q "$FLOOR" "${writes[@]}" "${attaches[@]}" -- true)" \
    -n "5 mcgexec --rm (fresh group)" "$M --rm $TMP/fresh.rb true" \
    -n "5 floor (fresh group)" "$(q "$FLOOR" "${fresh[@]}" -- true)" \
    > "$TMP/hyperfine.txt"

med() { jq -r --arg n "$1" '.results[] | select(.command == $n) | .median * 1000' "$TMP/h.json"; }
t1=$(med "1 true"); t2=$(med "2 cgexec"); t3=$(med "3 mcgexec"); t3b=$(med "3b mcgexec (mrbc bytecode)")
t4=$(med "4 floor"); t5=$(med "5 mcgexec --rm (fresh group)"); t5f=$(med "5 floor (fresh group)")

# 6: 1000 launches, 8 at a time, into one group
start=$(date +%s.%N)
fails=$(seq 1000 | xargs -P 8 -I{} sh -c "$M $TMP/existing.rb true || echo FAIL" | grep -c FAIL || true)
end=$(date +%s.%N)
t6=$(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.2f", b - a }')

# instructions of mcgexec's own work, stable where time is noisy
ir() {
    valgrind --tool=callgrind --callgrind-out-file=/dev/null "$@" 2>&1 >/dev/null |
        sed -n 's/.*Collected : \([0-9]*\).*/\1/p'
}
ir_src=$(ir "$M" -n "$TMP/existing.rb" true)
ir_mrb=$(ir "$M" -n "$TMP/existing.mrb" true)
ir_empty=$(ir "$M" -n -e '' true)

r() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
d() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a - b }'; }
f() { awk -v a="$1" 'BEGIN { printf "%.3f", a }'; }
verdict() { awk -v v="$1" -v t="$2" 'BEGIN { print (v <= t ? "met" : "missed") }'; }

{
    echo "# Start-up benchmark"
    echo
    echo "Reproduce: \`sudo RUNS=$RUNS scripts/bench.sh\` (writes this file)."
    echo
    echo "Machine: $(uname -srm), $(nproc) CPUs ($(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)), cgroup v1 layout, $(date -u +%Y-%m-%d)."
    echo "Tools: $(hyperfine --version), cgroup-tools $(dpkg-query -W -f='${Version}' cgroup-tools), $("$M" --version)."
    echo
    echo "Medians of $RUNS launches a case (hyperfine, no shell, 20 warm-up runs), all cases in one run:"
    echo
    echo "| case | median (ms) |"
    echo "|---|---|"
    echo "| 1 bare \`true\` | $(f "$t1") |"
    echo "| 2 \`cgexec -g cpu,cpuacct,cpuset,memory,blkio:G true\` (existing G, joins only) | $(f "$t2") |"
    echo "| 3 mcgexec: a limit in cpu, cpuset, memory, blkio of G, joins all five, execs \`true\` | $(f "$t3") |"
    echo "| 3b the same policy precompiled with mrbc | $(f "$t3b") |"
    echo "| 4 floor: the same four writes and five attaches, then exec | $(f "$t4") |"
    echo "| 5 mcgexec --rm: fresh group per launch (mkdir, writes, attach, run, rmdir) | $(f "$t5") |"
    echo "| 5 floor of the same | $(f "$t5f") |"
    echo
    echo "| target | value | |"
    echo "|---|---|---|"
    echo "| case 3 / case 2 <= 0.8 | $(r "$t3" "$t2") | $(verdict "$(r "$t3" "$t2")" 0.8) |"
    echo "| case 3 - case 1 <= 1.5 ms | $(d "$t3" "$t1") ms | $(verdict "$(d "$t3" "$t1")" 1.5) |"
    echo "| case 3 / case 4 <= 1.2 | $(r "$t3" "$t4") | $(verdict "$(r "$t3" "$t4")" 1.2) |"
    echo "| case 5 / its floor <= 1.1 | $(r "$t5" "$t5f") | $(verdict "$(r "$t5" "$t5f")" 1.1) |"
    echo "| case 6: 1000 launches, 8 at a time, into G | $fails failures, $t6 s | $( [ "$fails" = 0 ] && echo met || echo missed) |"
    echo "| bytecode saves (3 - 3b) | $(d "$t3" "$t3b") ms | |"
    echo
    echo "Instructions (valgrind callgrind, \`mcgexec -n\`, the whole process):"
    echo
    echo "| run | instructions |"
    echo "|---|---|"
    echo "| empty policy (\`-e ''\`) | $ir_empty |"
    echo "| case 3 policy, Ruby source | $ir_src |"
    echo "| case 3 policy, mrbc bytecode | $ir_mrb |"
    echo
    echo '```'
    cat "$TMP/hyperfine.txt"
    echo '```'
} > "$OUT"
cat "$OUT"
