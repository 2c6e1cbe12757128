#!/usr/bin/env bats
# SIGKILL at any instant leaves nothing that nobody will clean: each run
# keeps its state (the groups it is about to make and has made) in the
# state directory; mcgexec --gc, or the next run in passing, reclaims what
# dead runs left, never a group that is not theirs.

load helpers

KILL_RUNS=${MCGEXEC_KILL_RUNS:-200}

# A test that froze a process and failed before thawing it: thawed here,
# so that the common teardown can end it and remove its groups.
teardown() {
    [ -z "${fz:-}" ] || echo THAWED > "$fz/freezer.state" 2>/dev/null || true
    common_teardown
}

# The random SIGKILLs (tests/tools/sigkill-runs.sh, which prints the
# counts): MODE, and RECLAIM=next for the next run's reclaim.
sigkill_runs() {
    requires_root
    requires_controller cpu memory pids
    [ -x "$TOP/build/killat" ] || skip "tests/tools/killat.c is not built"
    MCGEXEC_STATE_DIR="$BATS_TEST_TMPDIR/kill-state" run "$TOP/tests/tools/sigkill-runs.sh" "$@"
    echo "$output"
    assert_success
    assert_output --partial "0 groups of those runs left, 0 job processes left, 0 run files left"
    assert_output --partial "the control groups untouched: yes"
}

@test "SIGKILL at random instants, in place: after mcgexec --gc nothing of the runs' is left; the control groups untouched" {
    sigkill_runs inplace "$KILL_RUNS"
}

@test "SIGKILL at random instants, --wait: after mcgexec --gc nothing of the runs' is left; the control groups untouched" {
    sigkill_runs wait "$KILL_RUNS"
}

@test "SIGKILL at random instants, --rm: after mcgexec --gc no group and no process of the job is left" {
    sigkill_runs rm "$KILL_RUNS"
}

@test "SIGKILL at random instants, --rm --timeout: after mcgexec --gc no group and no process of the job is left" {
    sigkill_runs rm-timeout "$KILL_RUNS"
}

@test "SIGKILL at random instants, --rm: the next run reclaims in passing, without --gc" {
    RECLAIM=next sigkill_runs rm "$((KILL_RUNS / 4))"
}

# A --wait run whose supervisor is killed by SIGKILL while its job runs:
# start it, wait until the job is in its groups; prints the job's pid.
killed_supervisor() {
    local p
    p=$(job_memory_policy)
    "$MCGEXEC" "$@" "$p" -- sleep 1000 3>&- &
    SUP=$!
    wait_until grep -q . "$(group_dir memory "$G/job")/cgroup.procs"
    JOB=$(head -n 1 "$(group_dir memory "$G/job")/cgroup.procs")
    kill -KILL "$SUP"
    wait "$SUP" || true
}

@test "--gc: a dead --wait run's groups stay while its job runs (125, said), and go once it has ended" {
    requires_root
    requires_controller memory
    killed_supervisor --wait
    kill -0 "$JOB"
    run "$MCGEXEC" --gc
    assert_failure 125
    assert_output --partial "still in use ($(group_dir memory "$G/job")), left for the next reclaim"
    [ -d "$(group_dir memory "$G/job")" ]
    kill -0 "$JOB"
    kill -KILL "$JOB"
    run "$MCGEXEC" --gc
    assert_success
    assert_output --partial "removed 2 groups"
    assert_no_test_groups
    [ -z "$(ls "$MCGEXEC_STATE_DIR"/*.run 2>/dev/null)" ]
}

@test "--rm: the job's first process dies with its supervisor (SIGKILL); --gc kills the rest and removes the groups" {
    requires_root
    requires_controller memory
    killed_supervisor --rm
    # the kernel's parent-death signal: no timing, the job is gone or going
    wait_until gone "$JOB"
    run "$MCGEXEC" --gc
    assert_success
    assert_no_test_groups
}

# The start time of process $1 (field 22 of /proc/PID/stat; our
# processes' names hold no blanks).
start_of() {
    awk '{ print $22 }' "/proc/$1/stat"
}

@test "--gc, from run files as a dead run leaves them: only groups still theirs; never one a live run names or one off the cgroup filesystem" {
    requires_root
    requires_controller memory
    mkdir -p "$MCGEXEC_STATE_DIR"
    chmod 0700 "$MCGEXEC_STATE_DIR"
    d=$(group_dir memory)
    mkdir "$d" "$d/made" "$d/remade" "$d/intended" "$d/named" "$d/busy" "$d/busy-intended"
    mkdir "$BATS_TEST_TMPDIR/not-a-group"
    sleep 1000 &
    busy=$!
    echo "$busy" > "$d/busy/cgroup.procs"
    sleep 1000 &
    busy2=$!
    echo "$busy2" > "$d/busy-intended/cgroup.procs"
    # a dead owner: a process of ours that has ended (its pid and start time)
    sleep 0 &
    dead=$!
    dead_start=$(start_of "$dead" 2>/dev/null || echo 1)
    wait "$dead"
    ino() { stat -c %i "$1"; }
    remade_ino=$(ino "$d/remade")
    rmdir "$d/remade" && mkdir "$d/remade"   # the same name, another group
    cat > "$MCGEXEC_STATE_DIR/$dead-$dead_start.run" <<EOF2
mcgexec-run 1
rm
intent $d
made $(ino "$d") $d
intent $d/made
made $(ino "$d/made") $d/made
intent $d/remade
made $remade_ino $d/remade
intent $d/intended
intent $d/named
made $(ino "$d/named") $d/named
intent $d/busy
made $(ino "$d/busy") $d/busy
intent $d/busy-intended
intent $BATS_TEST_TMPDIR/not-a-group
EOF2
    # a live run (this shell) names one of them
    printf 'mcgexec-run 1\nintent %s\n' "$d/named" > "$MCGEXEC_STATE_DIR/$$-$(start_of $$).run"
    run "$MCGEXEC" --gc --verbose
    echo "$output"
    # left: another inode; a live run's; a process in a group the run was
    # only about to make (not killed: whose it is, is not known); not a cgroup
    [ -d "$d/remade" ]
    [ -d "$d/named" ]
    [ -d "$d/busy-intended" ]
    kill -0 "$busy2"
    [ -d "$BATS_TEST_TMPDIR/not-a-group" ]
    # gone: the groups it made and the one it was about to make (empty);
    # the process in a group it made, killed (it asked for --rm)
    [ ! -d "$d/made" ]
    [ ! -d "$d/intended" ]
    [ ! -d "$d/busy" ]
    ! kill -0 "$busy" 2>/dev/null
    assert_failure 125   # (busy-intended is in use: left for the next reclaim)
    assert_output --partial "run $dead ended without cleaning up (killed?): removed 3 groups, killed 1 process of its job; 1 still in use ($d/busy-intended)"
    # the live run's file and the dead one's (something is left) stay
    [ -f "$MCGEXEC_STATE_DIR/$$-$(start_of $$).run" ]
    [ -f "$MCGEXEC_STATE_DIR/$dead-$dead_start.run" ]
    kill -KILL "$busy2"
    wait_until gone "$busy2"
    rmdir "$d/remade" "$d/named"
    rm "$MCGEXEC_STATE_DIR/$$-$(start_of $$).run"
    run "$MCGEXEC" --gc
    assert_success
    assert_output --partial "removed 2 groups"
    [ ! -d "$d" ]
    [ -z "$(ls "$MCGEXEC_STATE_DIR"/*.run 2>/dev/null)" ]
}

@test "--gc: misuse is one line (and the pointer to --help), 125" {
    run "$MCGEXEC" --gc policy.rb -- true
    assert_failure 125
    assert_line --index 0 --partial "mcgexec: --gc reclaims what dead runs left and runs nothing"
    assert_line --index 1 "Try 'mcgexec --help' for more information."
}

@test "a run that ends as it should leaves no state; one the signal guard undoes leaves none either" {
    requires_root
    requires_controller cpu
    p=$(cpu_group_policy)
    run "$MCGEXEC" --rm "$p" -- true
    assert_success
    run "$MCGEXEC" --wait "$p" -- true
    assert_success
    [ -z "$(ls "$MCGEXEC_STATE_DIR"/*.run 2>/dev/null)" ]
    remove_test_groups
    p=$(policy hang.rb <<EOF2
c = Cgroup::CPU.new("$G")
c.create
c.attach
File.open("$BATS_TEST_TMPDIR/hang", "r") { |f| f.read }
EOF2
)
    mkfifo "$BATS_TEST_TMPDIR/hang"
    "$MCGEXEC" "$p" -- true 3>&- &
    pid=$!
    wait_until test -d "$(group_dir cpu)"
    kill -TERM "$pid"
    wait "$pid" || true
    assert_no_test_groups
    [ -z "$(ls "$MCGEXEC_STATE_DIR"/*.run 2>/dev/null)" ]
}

@test "a state directory that others can write is refused: one warning, the run goes on" {
    requires_root
    requires_controller cpu
    mkdir -m 0777 "$BATS_TEST_TMPDIR/open"
    p=$(cpu_group_policy)
    MCGEXEC_STATE_DIR="$BATS_TEST_TMPDIR/open" run "$MCGEXEC" --rm "$p" -- echo ran
    assert_success
    assert_line --index 0 --partial "mcgexec: warning: cannot keep this run's state ($BATS_TEST_TMPDIR/open: Operation not permitted)"
    assert_line --index 1 "ran"
    assert_no_test_groups
}

# A --rm job whose leftover process the test freezes (FREEZE: shell code
# run with $leftover, its pid, and $job, the job's group), which then ends
# the job's main process (echo go > "$d/go", or a kill); the supervisor's
# output in $d/out, its status in $sup_status.
frozen_leftover() {
    d=$BATS_TEST_TMPDIR
    mkfifo "$d/go"
    p=$(job_memory_policy)
    MCGEXEC_KILL_WAIT_MS=${2:-1000} "$MCGEXEC" --rm "$p" -- \
        sh -c "sleep 1000 & echo \$! > $d/pid; read x < $d/go; exit 3" > "$d/out" 2>&1 3>&- &
    local sup=$!
    wait_until test -s "$d/pid"
    leftover=$(cat "$d/pid")
    job=$(group_dir memory "$G/job")
    eval "$1"
    sup_status=0
    wait "$sup" || sup_status=$?
    cat "$d/out"
}

@test "--rm where a leftover process is frozen (cgroup v1 freezer, SIGKILL waits for a thaw): one line naming it, the job's status kept; --gc removes the group once it has ended" {
    requires_root
    requires_controller memory freezer
    is_v2 && skip "cgroup v1: its freezer holds a killed process (v2's lets it die: the next test)"
    fz=$(self_dir freezer)/$G-freezer
    mkdir "$fz"
    CLEANUP_DIRS+=("$fz")
    frozen_leftover 'echo "$leftover" > "$fz/cgroup.procs"; echo FROZEN > "$fz/freezer.state"
                     wait_until grep -qx FROZEN "$fz/freezer.state"
                     echo go > "$d/go"'
    [ "$sup_status" -eq 3 ]
    echo "$output"
    # one line, whatever the groups (the kill's: their removal is not said again)
    [ "$(cat "$d/out")" = "mcgexec: warning: process $leftover in $(group_dir memory) did not end within 1000 ms of SIGKILL (frozen? stuck in the kernel?): the group is left; mcgexec --gc removes it once it has ended" ]
    [ -d "$job" ]
    [ -n "$(ls "$MCGEXEC_STATE_DIR"/*.run)" ]
    echo THAWED > "$fz/freezer.state"
    # (its SIGKILL was pending: thawed, it ends)
    wait_until gone "$leftover"
    run "$MCGEXEC" --gc
    assert_success
    assert_output --partial "removed 2 groups"
    assert_no_test_groups
}

@test "--rm where the job's group is frozen (cgroup v2's freezer lets SIGKILL through): the group goes, nothing said" {
    requires_root
    requires_controller memory
    is_v2 || skip "cgroup v2's freezer (cgroup.freeze)"
    frozen_leftover 'echo 1 > "$job/cgroup.freeze"; wait_until grep -qx "frozen 1" "$job/cgroup.events"
                     kill -KILL "$(grep -vx "$leftover" "$job/cgroup.procs" | head -n 1)"' 10000
    [ "$sup_status" -eq 137 ] || fail "status $sup_status: $(cat "$d/out")"
    ! grep -q "did not end" "$d/out" || fail "$(cat "$d/out")"
    assert_no_test_groups
    [ -z "$(ls "$MCGEXEC_STATE_DIR"/*.run 2>/dev/null)" ]
}
