#!/bin/bash
# Start-up benchmark: mcgexec side by side with cgexec and with the floor
# (bench/floor.c: the same cgroupfs writes and attach, nothing else), all
# cases interleaved launch by launch (bench/interleave.c) so that machine
# drift cancels.  Writes bench/RESULTS.md.
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
for p in cgroup-tools valgrind; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' ||
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$p" >/dev/null
done
scripts/build.sh >/dev/null
M=$(pwd)/build/mcgexec
FLOOR=$(pwd)/build/bench_floor
FLOOR_STATIC=$(pwd)/build/bench_floor_static
FLOOR_MRUBY=$(pwd)/build/bench_floor_mruby
TIMER=$(pwd)/build/bench_interleave
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

export MCGEXEC_ROOT=self
names=("1 true" "2 cgexec" "3 mcgexec" "3b mcgexec (mrbc bytecode)" "4 floor" "4s floor, static"
       "4m floor, static, plus mrb_open_core()"
       "5 mcgexec --rm (fresh group)" "5 floor (fresh group)" "5s floor, static (fresh group)"
       "5m floor, static, plus mrb_open_core() (fresh group)")
TRUE=$(type -P true)
"$TIMER" "$RUNS" 20 \
    "$TRUE" ';;' \
    "$(type -P cgexec)" -g "cpu,cpuacct,cpuset,blkio:$(rel_of cpu)/$G" -g "memory:$(rel_of memory)/$G" "$TRUE" ';;' \
    "$M" "$TMP/existing.rb" "$TRUE" ';;' \
    "$M" "$TMP/existing.mrb" "$TRUE" ';;' \
    "$FLOOR" "${writes[@]}" "${attaches[@]}" -- "$TRUE" ';;' \
    "$FLOOR_STATIC" "${writes[@]}" "${attaches[@]}" -- "$TRUE" ';;' \
    "$FLOOR_MRUBY" "${writes[@]}" "${attaches[@]}" -- "$TRUE" ';;' \
    "$M" --rm "$TMP/fresh.rb" "$TRUE" ';;' \
    "$FLOOR" "${fresh[@]}" -- "$TRUE" ';;' \
    "$FLOOR_STATIC" "${fresh[@]}" -- "$TRUE" ';;' \
    "$FLOOR_MRUBY" "${fresh[@]}" -- "$TRUE" > "$TMP/times.txt"

# median of case $1 (its line in times.txt)
med() { sed -n "$1p" "$TMP/times.txt" | cut -d' ' -f1; }
t1=$(med 1); t2=$(med 2); t3=$(med 3); t3b=$(med 4); t4=$(med 5); t4s=$(med 6); t4m=$(med 7)
t5=$(med 8); t5f=$(med 9); t5s=$(med 10); t5m=$(med 11)

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
    echo "Tools: bench/interleave.c, cgroup-tools $(dpkg-query -W -f='${Version}' cgroup-tools), $("$M" --version), linked $(ldd "$M" >/dev/null 2>&1 && echo dynamically || echo statically) (the default build)."
    echo
    echo "Medians of $RUNS launches a case, interleaved: $RUNS rounds of one launch of every case,"
    echo "the first case rotating, after 20 warm-up rounds (bench/interleave.c: fork, exec, wait;"
    echo "no shell).  Quartiles in the last table."
    echo
    echo "| case | median (ms) |"
    echo "|---|---|"
    echo "| 1 bare \`true\` | $(f "$t1") |"
    echo "| 2 \`cgexec -g cpu,cpuacct,cpuset,memory,blkio:G true\` (existing G, joins only) | $(f "$t2") |"
    echo "| 3 mcgexec: a limit in cpu, cpuset, memory, blkio of G, joins all five, execs \`true\` | $(f "$t3") |"
    echo "| 3b the same policy precompiled with mrbc | $(f "$t3b") |"
    echo "| 4 floor: the same four writes and five attaches, then exec (C, dynamically linked) | $(f "$t4") |"
    echo "| 4s the same floor linked statically, as mcgexec is | $(f "$t4s") |"
    echo "| 4m that floor opening mruby's core first (\`mrb_open_core()\`, Debian's libmruby.a) | $(f "$t4m") |"
    echo "| 5 mcgexec --rm: fresh group per launch (mkdir, writes, attach, run, rmdir) | $(f "$t5") |"
    echo "| 5 floor of the same | $(f "$t5f") |"
    echo "| 5s that floor linked statically | $(f "$t5s") |"
    echo "| 5m that floor opening mruby's core first | $(f "$t5m") |"
    echo
    echo "| target | value | |"
    echo "|---|---|---|"
    echo "| case 3 / case 2 <= 0.8 | $(r "$t3" "$t2") | $(verdict "$(r "$t3" "$t2")" 0.8) |"
    echo "| case 3 - case 1 <= 1.5 ms | $(d "$t3" "$t1") ms | $(verdict "$(d "$t3" "$t1")" 1.5) |"
    echo "| case 3 / case 4 <= 1.2 | $(r "$t3" "$t4") | $(verdict "$(r "$t3" "$t4")" 1.2) |"
    echo "| case 5 / its floor <= 1.1 | $(r "$t5" "$t5f") | $(verdict "$(r "$t5" "$t5f")" 1.1) |"
    echo "| (case 3 / static floor 4s) | $(r "$t3" "$t4s") | |"
    echo "| (case 5 / static floor 5s) | $(r "$t5" "$t5s") | |"
    echo "| (case 3 / floor with mruby 4m: what mcgexec adds to mruby's own start-up) | $(r "$t3" "$t4m") | |"
    echo "| (case 5 / floor with mruby 5m) | $(r "$t5" "$t5m") | |"
    echo "| (mruby's core alone: 4m - 4s) | $(d "$t4m" "$t4s") ms | |"
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
    echo "| case | median | first quartile | third quartile (ms) |"
    echo "|---|---|---|---|"
    for i in "${!names[@]}"; do
        read -r m q1 q3 < <(sed -n "$((i + 1))p" "$TMP/times.txt")
        echo "| ${names[$i]} | $m | $q1 | $q3 |"
    done
} > "$OUT"
cat "$OUT"
