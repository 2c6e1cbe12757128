# Helpers of the tests that need systemd as PID 1 (tests/systemd.bats,
# tests/rootless.bats), loaded after helpers.bash (within, wait_until and
# gone are there).

# wait_for FILE: until FILE exists and has something in it (30 s at most;
# cgroup files have no size to test)
wait_for() {
    local i
    for i in $(seq 300); do
        [ -n "$(cat "$1" 2>/dev/null)" ] && return 0
        sleep 0.1
    done
    fail "nothing in $1"
}

# Is unit $1 active?
unit_active() {
    [ "$(systemctl show -P ActiveState "$1")" = active ]
}

# Is unit $1 gone, with its cgroup?  (A transient unit is unloaded once it
# is inactive: its load state reads not-found.)
unit_gone() {
    [ "$(systemctl show -P LoadState "$1")" = not-found ] &&
        ! ls -d /sys/fs/cgroup/*.slice/"$1" >/dev/null 2>&1
}

# A job's lines as the tests print them: the cgroup, then files of it.
JOB_REPORT='cg=$(sed -n "s/^0:://p" /proc/self/cgroup); echo "$cg"; for f; do cat "/sys/fs/cgroup$cg/$f"; done'

# supervised_checks DIR: run by the tests below from a scope, a delegated
# service or a shell wrapper (mcgexec on PATH is this tree's): --timeout,
# --rm's kill of a daemon, --stats against known work (1.5 s of CPU time:
# spin, helpers.bash), an OOM kill.  Each leaves its findings in DIR for
# check_supervised.
SUPERVISED_CHECKS='
    d=$1
    pol="group \"job\", memory: \"512M\", pids: 64, cpu: \"100%\""
    mcgexec --rm --timeout 2s -e "$pol" -- sh -c "sleep 300 >/dev/null 2>&1 & echo \$! > $d/bg; exec sleep 300 >/dev/null 2>&1"
    echo $? > $d/timeout.status
    mcgexec --rm -e "$pol" -- sh -c "setsid sleep 300 </dev/null >/dev/null 2>&1 & echo \$! > $d/daemon; sed -n s/^0:://p /proc/self/cgroup > $d/job.cg"
    cat > $d/spin.sh <<"EOS"
'"$(spin 15 '$1')"'
EOS
    mcgexec --rm --stats-format=json --stats=$d/cpu.json -e "$pol" -- \
        sh -c "sh $d/spin.sh $d/times; set -- \$(cut -d\" \" -f16,17 /proc/\$\$/stat); echo \$((\$1 + \$2)) > $d/ticks"
    mcgexec --rm --stats-format=json --stats=$d/mem.json -e "$pol" -- dd if=/dev/zero of=/dev/null bs=150M count=1 2>/dev/null
    mcgexec --rm --stats-format=json --stats=$d/oom.json -e "group \"job\", memory: \"32M\"" -- \
        dd if=/dev/zero of=/dev/null bs=96M count=1 2> $d/oom.err
    echo $? > $d/oom.status
'

# check_supervised DIR PARENT: what supervised_checks found, the job's
# groups below PARENT (a pattern of cgroup paths: a scope's differs run by
# run)
check_supervised() {
    local d=$1 parent=$2 cpu ticks peak
    assert_equal "$(cat "$d/timeout.status")" 124
    ! kill -0 "$(cat "$d/bg")" 2>/dev/null || fail "--timeout left the job's process running"
    ! kill -0 "$(cat "$d/daemon")" 2>/dev/null || fail "--rm left the daemonized process running"
    [[ $(cat "$d/job.cg") =~ ^$parent/job$ ]] || fail "the job ran in $(cat "$d/job.cg")"
    ticks=$(cat "$d/ticks")
    cpu=$(jq -r '.cpu_user_s + .cpu_system_s' "$d/cpu.json")
    # (the job's own spin, and its shell's and cut's start, which the
    # emulated guest makes a tenth of a second or two)
    awk -v c="$cpu" -v t="$ticks" 'BEGIN { own = t / 100; exit !(own >= 1.4 && c >= own * 0.8 && c <= own * 1.2 + 0.25) }' ||
        fail "report: $cpu s of CPU; the job counted $ticks ticks; its last times: $(cat "$d/times" 2>&1 | tr "\n" " ")"
    peak=$(jq -r .memory_peak_bytes "$d/mem.json")
    [ "$peak" -ge $((140 << 20)) ] && [ "$peak" -le $((170 << 20)) ] || fail "peak $peak bytes"
    assert_equal "$(jq -r .memory_limit_bytes "$d/mem.json")" $((512 << 20))
    [[ $(jq -r .groups.memory "$d/mem.json") =~ ^/sys/fs/cgroup$parent/job$ ]] ||
        fail "the report's memory group: $(jq -r .groups.memory "$d/mem.json")"
    assert_equal "$(cat "$d/oom.status")" 137
    grep -qxF "mcgexec: dd was killed by the OOM killer: group job reached its memory limit (32.0 MiB)" "$d/oom.err" ||
        fail "no OOM line: $(cat "$d/oom.err")"
    assert_equal "$(jq -r .oom_killed "$d/oom.json")" true
}

# The record of `jobshape sleep 0.5 hold 100 0.5 spin 0.5` under
# RECORD_POLICY, run as RECORD_RUN does (in DIR: r.json, p.svg, s.json),
# held to the job: the groups under PARENT (a regexp), memory near 100
# MiB (its maximum within 10% of --stats' peak), the CPU second's half in
# the buckets after the spin began, pressure and tasks read (cgroup v2),
# the picture drawn.
RECORD_POLICY="group 'job', memory: '256M', pids: 64, cpu: '100%'"
record_run() { # DIR
    echo "$MCGEXEC --rm --record=$1/r.json --plot=$1/p.svg --stats-format=json --stats=$1/s.json" \
        "-e \"$RECORD_POLICY\" -- $TOP/build/jobshape sleep 0.5 hold 100 0.5 spin 0.5"
}
check_record() { # DIR PARENT
    local d=$1 r=$1/r.json spun stats
    [[ $(jq -r .groups.memory "$r") =~ ^/sys/fs/cgroup$2/job$ ]] ||
        fail "the record's group: $(jq -r .groups.memory "$r")"
    assert_equal "$(jq -r '.cgroup_version, .status, .limits.memory_max_bytes, .limits.pids_max' "$r" | tr '\n' ' ')" \
        "2 0 268435456 64 "
    record_peak_matches "$r" "$d/s.json"
    spun=$(jq -r '.series as $s | [range(0; .samples) | ($s.t_s[.] - (if . > 0 then $s.t_s[. - 1] else 0 end)) * $s.cpu_cores[.]] | add' "$r")
    stats=$(jq -r '.cpu_user_s + .cpu_system_s' "$d/s.json")
    awk -v s="$spun" -v c="$stats" 'BEGIN { exit !(s >= 0.85 * c && s <= 1.15 * c && s >= 0.4) }' ||
        fail "the record's CPU $spun s, --stats $stats s"
    jq -e '[.series.cpu_some_s, .series.memory_some_s, .series.io_some_s, .series.pids] | all(. != null)' "$r" \
        >/dev/null || fail "pressure or tasks missing from the record"
    grep -q '<svg' "$d/p.svg" && grep -q 'data-peak=' "$d/p.svg" || fail "no picture"
}
