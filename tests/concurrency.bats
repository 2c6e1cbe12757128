#!/usr/bin/env bats
# Many mcgexec runs at once: a group another run is creating at the same
# moment is not an error, and --rm runs never leave a group behind.

load helpers

N=64

# race MCGEXEC-ARGS...: start $N mcgexec runs that all wait at one gate (a
# FIFO), open it once every run waits there, so that they start at once,
# and wait for all of them.  Run i sees RUN=i; its stdout, stderr and
# status land in $out/i, $out/i.err and $out/i.status.
race() {
    local i gate="$BATS_TEST_TMPDIR/gate"
    out="$BATS_TEST_TMPDIR/out"
    mkdir -p "$out"
    mkfifo "$gate"
    # held open for writing (read-write: does not block) until the runs
    # wait: their opens do not block, and closing it is the EOF that
    # opens the gate for all of them at once
    exec 8<> "$gate"
    for i in $(seq $N); do
        ( exec 8>&- 9< "$gate"
          touch "$out/$i.waits"
          read -r _ <&9 || true
          exec 9<&-
          RUN=$i "$MCGEXEC" "$@" > "$out/$i" 2> "$out/$i.err"
          echo $? > "$out/$i.status" ) &
    done
    for _ in $(seq 600); do
        [ "$(find "$out" -name '*.waits' | wc -l)" -ge "$N" ] && break
        sleep 0.05
    done
    exec 8>&-
    wait
}

# The number of runs of the race that did not exit 0; each is named on fd 3.
failed_runs() {
    local i failed=0
    for i in $(seq $N); do
        if [ "$(cat "$out/$i.status")" != 0 ]; then
            failed=$((failed + 1))
            echo "run $i: status $(cat "$out/$i.status"): $(cat "$out/$i.err")" >&3
        fi
    done
    echo "$failed"
}

@test "$N runs started at once, all creating and joining the same new group, all succeed" {
    requires_root
    requires_controller cpu memory pids
    local ctrls="cpu memory pids" extra=""
    if [ -n "$(mount_of cpuset)" ] && requires_controller cpuset 2>/dev/null; then
        ctrls="$ctrls cpuset"
        extra='s = Cgroup::CPUSET.new(G); s.cpus = "0"; s.mems = "0"; s.create; s.attach'
    fi
    p=$(policy <<EOF2
G = "$G"
c = Cgroup::CPU.new(G); c.cfs_quota_us = 200000; c.create; c.attach
m = Cgroup::MEMORY.new(G); m.limit_in_bytes = "256M"; m.create; m.attach
t = Cgroup::PIDS.new(G); t.max = 1000; t.create; t.attach
$extra
EOF2
)
    race "$p" -- cat /proc/self/cgroup
    assert_equal "$(failed_runs)" 0
    local i c missing=0
    for i in $(seq $N); do
        for c in $ctrls; do
            grep -q "$(ctl $c).*/$G\$" "$out/$i" || { missing=$((missing + 1)); echo "run $i not in $c group" >&3; }
        done
    done
    assert_equal "$missing" 0
    check_value memory memory.limit_in_bytes 268435456 memory.max 268435456
}

@test "$N --rm runs at once with their own groups leave nothing behind" {
    requires_root
    requires_controller cpu memory
    p=$(policy <<EOF2
name = "$G-" + ENV["RUN"]
c = Cgroup::CPU.new(name); c.cfs_quota_us = 100000; c.create; c.attach
m = Cgroup::MEMORY.new(name); m.limit_in_bytes = "64M"; m.create; m.attach
EOF2
)
    race --rm "$p" -- sh -c 'sleep 0.2 & exec true'
    assert_equal "$(failed_runs)" 0
    assert_no_test_groups
}

@test "$N runs into one new cpuset group that none of them configures: none sees it empty" {
    requires_root
    is_v2 && skip "cgroup v1: a new v1 cpuset group is empty until cpus and mems are copied in"
    requires_controller cpuset
    p=$(policy <<EOF2
s = Cgroup::CPUSET.new("$G"); s.create; s.attach
EOF2
)
    race "$p" -- true
    assert_equal "$(failed_runs)" 0
}

@test "a maker of a new cpuset group stalled after its mkdir: another run never sees the group without cpus and mems" {
    requires_root
    is_v2 && skip "cgroup v1: a new v1 cpuset group is empty until cpus and mems are copied in"
    requires_controller cpuset
    command -v strace >/dev/null || skip "no strace"
    local parent first
    p=$(policy <<EOF2
s = Cgroup::CPUSET.new("$G"); s.create; s.attach
EOF2
)
    parent=$(dirname "$(group_dir cpuset)")
    # The first run stops for 5 s as each mkdir returns: a group made
    # under its own name and filled in afterwards would be there, empty,
    # all that time.  (On a machine slow enough that the second run comes
    # after, the test proves less, and still passes.)
    strace -f -qq -o /dev/null -e trace=mkdir,mkdirat -e inject=mkdir,mkdirat:delay_exit=5000000 \
        "$MCGEXEC" "$p" -- true > "$BATS_TEST_TMPDIR/first" 2>&1 &
    first=$!
    wait_until sh -c "ls -d '$parent/$G' '$parent'/.mcgexec-new.*.'$G' 2>/dev/null | grep -q ."
    run "$MCGEXEC" "$p" -- cat "$(group_dir cpuset)/cpuset.cpus"
    assert_success
    assert_output "$(cat "$parent/cpuset.cpus")"
    wait "$first" || fail "the stalled run failed: $(cat "$BATS_TEST_TMPDIR/first")"
    [ -z "$(ls -d "$parent"/.mcgexec-new.* 2>/dev/null)" ] || fail "a copy was left: $(ls -d "$parent"/.mcgexec-new.*)"
}
