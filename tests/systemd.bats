#!/usr/bin/env bats
# A cgroup v2 host whose PID 1 is systemd: mcgexec under systemd's
# delegation rules (systemd's docs/CGROUP_DELEGATION.md).  These run in the
# guest of scripts/vm.sh --systemd, where the tests may start units of
# their own; elsewhere they skip.

load helpers
load systemd-helpers

setup() {
    G="mcgtest-$$-${BATS_TEST_NUMBER}-$RANDOM"
    [ "${MCGEXEC_VM:-}" = systemd ] || skip "runs in the systemd guest (scripts/vm.sh --systemd)"
    [ "$(cat /proc/1/comm)" = systemd ] && [ -d /run/systemd/system ] || fail "PID 1 is not systemd"
    is_v2 || fail "the systemd guest is not on cgroup v2"
    UNIT=$G
}

teardown() {
    [ -n "${UNIT:-}" ] || return 0
    systemctl stop "$UNIT.service" "$UNIT-*.service" "$UNIT.scope" "$UNIT-*.scope" "$UNIT-*.slice" \
        'mcgexec-*.scope' 2>/dev/null || true
    systemctl reset-failed "$UNIT.service" "$UNIT-*.service" 2>/dev/null || true
    local f
    for f in "${INSTALLED[@]}"; do
        rm -f "$f"
    done
    [ ${#INSTALLED[@]} -eq 0 ] || systemctl daemon-reload
}
INSTALLED=()

# The cgroup of the unit's service, absolute.
unit_dir() {
    echo "/sys/fs/cgroup$(systemctl show -P ControlGroup "$UNIT.service")"
}

@test "a service with Delegate=yes: --root self puts the groups below the service's cgroup" {
    run systemd-run --unit "$UNIT" --quiet --pipe --wait -p Delegate=yes \
        "$MCGEXEC" --root self -e "group 'job', memory: '64M', pids: 32" -- \
        sh -c 'cg=$(sed -n "s/^0:://p" /proc/self/cgroup); echo "$cg"; cat "/sys/fs/cgroup$cg/memory.max" "/sys/fs/cgroup$cg/pids.max"'
    assert_success
    assert_line --index 0 "/system.slice/$UNIT.service/job"
    assert_line --index 1 67108864
    assert_line --index 2 32
}

@test "a service with Delegate=yes: without --root, mcgexec finds the delegation and works below it" {
    run systemd-run --unit "$UNIT" --quiet --pipe --wait -p Delegate=yes \
        "$MCGEXEC" -e "group 'job', memory: '64M'" -- cat /proc/self/cgroup
    assert_success
    assert_line "0::/system.slice/$UNIT.service/job"
    run systemd-run --unit "$UNIT-n" --quiet --pipe --wait -p Delegate=yes \
        "$MCGEXEC" -n -e "group 'job', memory: '64M'" -- true
    systemctl reset-failed "$UNIT-n.service" 2>/dev/null || true
    assert_success
    assert_line --index 1 "# manager: systemd (auto: cgroup v2, and systemd runs this host)"
    assert_line --index 2 "# /sys/fs/cgroup/system.slice/$UNIT-n.service is delegated (Delegate=yes): group names resolve below it"
    assert_line "mkdir /sys/fs/cgroup/system.slice/$UNIT-n.service/job"
}

@test "a service with Delegate=yes but without the mark (systemd before 251): its Delegate property is read" {
    command -v perl >/dev/null || skip "no perl to remove the mark with"
    # removexattr(2) is system call 197 on x86_64
    [ "$(uname -m)" = x86_64 ] || skip "removexattr's number is known for x86_64 only"
    run systemd-run --unit "$UNIT" --quiet --pipe --wait -p Delegate=yes sh -c '
        dir=/sys/fs/cgroup$(sed -n "s/^0:://p" /proc/self/cgroup)
        # both marks (systemd 252 sets both; an older one neither)
        perl -e "my @names = (\"trusted.delegate\", \"user.delegate\"); for my \$n (@names) { my \$d = \$ARGV[0];
                 syscall(197, \$d, \$n) == 0 or \$!{ENODATA} or die \"removexattr: \$!\n\" }" "$dir" || exit 1
        exec "$0" -v -e "group '"'job'"', memory: '"'64M'"'" -- cat /proc/self/cgroup' "$MCGEXEC"
    assert_success
    assert_line "0::/system.slice/$UNIT.service/job"
    assert_line "mcgexec: /sys/fs/cgroup/system.slice/$UNIT.service is delegated (systemd says Delegate=yes): group names resolve below it"
    refute_output --partial StartTransientUnit
}

@test "a login session's shape (a scope systemd did not delegate): mcgexec gets a scope of its own, with Delegate=yes" {
    run systemd-run --scope --quiet --unit "$UNIT" "$MCGEXEC" -e "group 'job', memory: '64M', pids: 32" -- \
        sh -c "$JOB_REPORT"'
               scope=${cg%/job}; scope=${scope##*/}
               echo "$scope $(systemctl show -P Delegate "$scope") $(systemctl show -P ActiveState "$scope")"' \
        - memory.max pids.max
    assert_success
    assert_line --index 0 --regexp "^/system\.slice/mcgexec-job-[0-9]+\.scope/job\$"
    assert_line --index 1 67108864
    assert_line --index 2 32
    local scope
    scope=$(basename "$(dirname "${lines[0]}")")
    assert_line --index 3 "$scope yes active"
    # the job was the scope's last process: systemd removes the scope
    wait_until unit_gone "$scope"
}

@test "a login session's shape: --record and --plot read the job's groups in mcgexec's own scope" {
    [ -x "$TOP/build/jobshape" ] || fail "no jobshape in the guest"
    local d
    d=$(mktemp -d /tmp/mcgtest-record.XXXXXX)
    run systemd-run --scope --quiet --unit "$UNIT" \
        sh -c "$(record_run "$d")"
    assert_success
    check_record "$d" "/system\.slice/mcgexec-job-[0-9]+\.scope"
    rm -rf "$d"
}

@test "SIGKILL at random instants in mcgexec's own scopes (in place, --wait, --rm, --rm --timeout): after mcgexec --gc and systemd's collection, no scope or group of the runs left; a control scope untouched" {
    [ -x "$TOP/build/killat" ] || fail "no killat in the guest"
    local mode n=${MCGEXEC_KILL_RUNS:-200}
    for mode in inplace wait rm rm-timeout; do
        # from a login session's shape, as tests/tools/sigkill-runs.sh says
        run systemd-run --scope --quiet --unit "$UNIT-$mode" env MANAGER=systemd \
            MCGEXEC_STATE_DIR="$BATS_TEST_TMPDIR/state-$mode" "$TOP/tests/tools/sigkill-runs.sh" "$mode" "$n"
        echo "$output"
        assert_success
        assert_output --partial "0 groups of those runs left (scopes and groups), 0 job processes left, 0 run files left"
        assert_output --partial "the control groups untouched: yes"
    done
}

@test "SIGKILL after systemd started mcgexec's scope, before mcgexec read where: its state named the scope before asking, and mcgexec --gc leaves none" {
    local d="$BATS_TEST_TMPDIR/bin" state="$BATS_TEST_TMPDIR/state" real
    real="$(dirname "$MCGEXEC")/mcgexec-systemd"
    [ -x "$real" ] || fail "no mcgexec-systemd beside $MCGEXEC"
    mkdir -p "$d"
    cp "$MCGEXEC" "$d/mcgexec"
    # the helper beside the copy: the real one (exec'd, so that its parent
    # is mcgexec, which it checks), whose answer is passed on only after
    # mcgexec has been killed
    cat > "$d/mcgexec-systemd" <<EOF
#!/bin/bash
mcg=\$PPID
case " \$* " in
*" start-scope "*)
    exec "$real" "\$@" > >(read -r line; [ "\$line" != started ] || kill -KILL \$mcg
                           printf '%s\n' "\$line"; exec cat) ;;
esac
exec "$real" "\$@"
EOF
    chmod +x "$d/mcgexec-systemd"
    run systemd-run --scope --quiet --unit "$UNIT" env MCGEXEC_STATE_DIR="$state" \
        "$d/mcgexec" -e "group '$G', memory: '64M'" -- touch "$BATS_TEST_TMPDIR/ran"
    assert_equal "$status" 137
    [ ! -e "$BATS_TEST_TMPDIR/ran" ] || fail "COMMAND ran"
    run cat "$state"/*.run
    assert_success
    assert_line --regexp "^starting mcgexec-$G-[0-9]+\.scope - /sys/fs/cgroup\$"
    refute_line --regexp "^scope "
    local scope=${lines[1]#starting }
    scope=${scope%% *}
    MCGEXEC_STATE_DIR="$state" "$MCGEXEC" --gc
    wait_until unit_gone "$scope"
    [ -z "$(ls "$state"/*.run 2>/dev/null)" ] || fail "the run's file is left"
    [ -z "$(find /sys/fs/cgroup -name "*$G*" 2>/dev/null)" ] || fail "a group was left"
}

@test "the reclaim of a scope a dead run was starting: stopped where systemd keeps it running empty, left alone where a live run's scope of that name runs" {
    local state="$BATS_TEST_TMPDIR/state" live="$G-live" empty="$G-empty"
    mkdir -m 0700 "$state"
    # A scope systemd keeps running although empty (it missed the
    # emptying) cannot be made on purpose: an empty slice stands in for
    # it, a unit running with an empty cgroup.  The live one is a scope.
    # (a scope that has come and gone realizes the slice's cgroup)
    systemd-run --scope --quiet --slice "$empty.slice" true
    local cg
    cg=/sys/fs/cgroup$(systemctl show -P ControlGroup "$empty.slice")
    [ "$(systemctl show -P ActiveState "$empty.slice")" = active ] || fail "the slice did not start"
    [ "$(sed -n 's/^populated //p' "$cg/cgroup.events")" = 0 ] ||
        fail "the slice's cgroup ($cg) is not there and empty"
    systemd-run --scope --quiet --unit "$live" sleep 1000 &
    local live_pid=$!
    wait_until unit_active "$live.scope"
    # two dead runs' files (pids no process has, with start time 1)
    printf 'mcgexec-run 1\nstarting %s - /sys/fs/cgroup\n' "$empty.slice" > "$state/4194303-1.run"
    printf 'mcgexec-run 1\nstarting %s - /sys/fs/cgroup\n' "$live.scope" > "$state/4194302-1.run"
    run env MCGEXEC_STATE_DIR="$state" "$MCGEXEC" --gc -v
    echo "$output"
    local after
    after=$(systemctl show -P ActiveState "$live.scope")
    kill "$live_pid" 2>/dev/null || true
    assert_equal "$after" active
    assert_success
    assert_line "mcgexec: --gc: stop $empty.slice (empty; the run died starting it)"
    refute_line --partial "stop $live.scope"
    # (a slice needs no unit file, and stays loaded)
    wait_until eval '! unit_active "$empty.slice" && [ ! -d "$cg" ]'
    [ -z "$(ls "$state"/*.run 2>/dev/null)" ] || fail "a run's file is left"
}

@test "a login session's shape with --rm --slice: the scope is in that slice, exit status kept, nothing left" {
    run systemd-run --scope --quiet --unit "$UNIT" "$MCGEXEC" --rm --slice mcgtest-batch.slice \
        -e "group 'job/a', memory: '32M'" -- sh -c "$JOB_REPORT"'; exit 3' - memory.max
    assert_equal "$status" 3
    assert_line --index 0 --regexp "^/mcgtest\.slice/mcgtest-batch\.slice/mcgexec-job-a-[0-9]+\.scope/job/a\$"
    assert_line --index 1 33554432
    local scope
    scope=$(basename "$(dirname "$(dirname "${lines[0]}")")")
    wait_until unit_gone "$scope"
    [ ! -e "/sys/fs/cgroup${lines[0]}" ] || fail "the job's group is left"
}

# in_journal UNIT LINE: has the unit written LINE to the journal?
in_journal() {
    journalctl --no-pager -q -o cat -u "$1" 2>/dev/null | grep -qxF "$2"
}

# in_journal_re UNIT REGEX: a line of the unit's journal that REGEX matches
in_journal_re() {
    journalctl --no-pager -q -o cat -u "$1" 2>/dev/null | grep -qE "$2"
}

@test "a service's own program without Delegate=yes is refused, in one line its journal holds: 125, no scope, nothing made" {
    run systemd-run --unit "$UNIT" --quiet --wait "$MCGEXEC" -e "group 'job', memory: '64M'" -- \
        touch "$BATS_TEST_TMPDIR/ran"
    assert_equal "$status" 125
    local want="which has no Delegate=yes: its cgroup is systemd's; add Delegate=yes to it (systemctl edit $UNIT.service), or give --scope for a scope of mcgexec's own, which takes the job out of the service's limits and accounting (stopping the service still ends it)"
    wait_until in_journal_re "$UNIT.service" "^mcgexec: mcgexec is the program of $UNIT\.service \(its main process [0-9]+\), ${want//[.()]/.}\$"
    [ ! -e "$BATS_TEST_TMPDIR/ran" ] || fail "COMMAND ran"
    [ -z "$(systemctl list-units --all --no-legend 'mcgexec-*.scope')" ] || fail "a scope was started"
    [ -z "$(ls -d /sys/fs/cgroup/system.slice/*/job 2>/dev/null)" ] || fail "a group was made"
    # a shell wrapper in such a service: the same line, the shell goes on
    run systemd-run --unit "$UNIT-sh" --quiet --pipe --wait sh -c \
        "\"$MCGEXEC\" -e \"group 'job', memory: '64M'\" -- true; echo \"status \$?\""
    systemctl reset-failed "$UNIT-sh.service" 2>/dev/null || true
    assert_success
    want=${want//$UNIT.service/$UNIT-sh.service}
    assert_line --index 0 --regexp "^mcgexec: mcgexec is the program of $UNIT-sh\.service \(its main process [0-9]+, mcgexec's parent\), ${want//[.()]/.}"
    assert_line --index 1 "status 125"
}

@test "supervised from a login session's shape (its own scope): --timeout, --rm, --stats and OOM act on the job" {
    local d=$BATS_TEST_TMPDIR s
    # each run gets its own scope, and systemd removes it after the job
    run systemd-run --scope --quiet --unit "$UNIT" bash -c "$SUPERVISED_CHECKS" - "$d"
    check_supervised "$d" '/system\.slice/mcgexec-job-[0-9]+\.scope'
    for s in $(systemctl list-units --all --no-legend --plain 'mcgexec-job-*.scope' | awk '{ print $1 }'); do
        wait_until unit_gone "$s"
    done
}

@test "supervised in a service with Delegate=yes, and from its shell wrapper twice: the job's groups, inside the service" {
    local d=$BATS_TEST_TMPDIR
    run systemd-run --unit "$UNIT" --quiet --pipe --wait -p Delegate=yes bash -c "$SUPERVISED_CHECKS" - "$d"
    assert_success
    # a shell wrapper: its first mcgexec moves it into a leaf; the second
    # still sees the delegation and stays inside the service
    check_supervised "$d" "/system\.slice/$UNIT\.service"
    rm -f "$d"/*.json "$d"/*.status "$d/job.cg"
    run systemd-run --unit "$UNIT-2" --quiet --pipe --wait -p Delegate=yes bash -c \
        "mcgexec -e \"group 'first', pids: 8\" -- true; $SUPERVISED_CHECKS" - "$d"
    systemctl reset-failed "$UNIT-2.service" 2>/dev/null || true
    assert_success
    check_supervised "$d" "/system\.slice/$UNIT-2\.service"
    [ -z "$(systemctl list-units --all --no-legend 'mcgexec-*.scope')" ] || fail "a scope was started"
}

@test "an mcgexec inside an outer mcgexec's job in a delegated service: threaded groups below the job's group; the outer memory.max lowered, never lifted, and put back" {
    local d=$BATS_TEST_TMPDIR
    cat > "$d/inner.sh" <<EOF
outer=\$(sed -n "s/^0:://p" /proc/self/cgroup)
"$MCGEXEC" -v -e "group 'inner', memory: '64M', cpu: '50%'" -- sh -c 'cg=\$(sed -n "s/^0:://p" /proc/self/cgroup); echo "in \$cg \$(cat /sys/fs/cgroup\$cg/cgroup.type) \$(cat /sys/fs/cgroup\$cg/cpu.max)"; echo "outer memory.max \$(cat /sys/fs/cgroup\${cg%/*}/memory.max)"'
echo "after: outer memory.max \$(cat /sys/fs/cgroup\$outer/memory.max)"
"$MCGEXEC" -e "group 'inner', memory: '512M'" -- true || echo "lifting refused"
EOF
    run systemd-run --unit "$UNIT" --quiet --pipe --wait -p Delegate=yes \
        "$MCGEXEC" -e "group 'outer', memory: '256M', cpu: '80%'" -- sh "$d/inner.sh"
    assert_success
    assert_line --regexp "^mcgexec: mcgexec runs inside /sys/fs/cgroup/system\.slice/$UNIT\.service, which systemd delegated \(Delegate=yes\), in cgroups the program it was delegated to made: .* as threaded groups"
    assert_line "in /system.slice/$UNIT.service/outer/inner threaded 50000 100000"
    assert_line "outer memory.max 67108864"
    assert_line "after: outer memory.max 268435456"
    assert_line --regexp "^mcgexec: .*memory.max of group inner: .*whose memory.max is 268435456 already, set by the program that owns it, which mcgexec lowers but never lifts"
    assert_line "lifting refused"
    [ -z "$(systemctl list-units --all --no-legend 'mcgexec-*.scope')" ] || fail "a scope was started"
}

@test "supervised where seccomp denies clone3 (as Docker's default profile does): the job joins its group itself" {
    local d=$BATS_TEST_TMPDIR
    # the kernel cannot start the job in its group (clone3 fails with
    # ENOSYS): the child is forked as before and joins the group itself
    run systemd-run --unit "$UNIT" --quiet --pipe --wait -p Delegate=yes \
        -p SystemCallFilter=~clone3 -p SystemCallErrorNumber=ENOSYS \
        mcgexec -v --wait -e "group 'job', pids: 8" -- cat /proc/self/cgroup
    assert_success
    assert_line --regexp "^mcgexec: the command joins /sys/fs/cgroup/system\.slice/$UNIT\.service/job itself \(clone3 into it: Function not implemented\)\$"
    assert_line --regexp "^0::/system\.slice/$UNIT\.service/job\$"
    # and the supervised battery, on that path
    run systemd-run --unit "$UNIT-2" --quiet --pipe --wait -p Delegate=yes \
        -p SystemCallFilter=~clone3 -p SystemCallErrorNumber=ENOSYS bash -c "$SUPERVISED_CHECKS" - "$d"
    assert_success
    check_supervised "$d" "/system\.slice/$UNIT-2\.service"
    # where clone3 works, the job is started in its group: no such line
    # (a kernel before 5.7 has no clone3 for any unit)
    run systemd-run --unit "$UNIT-3" --quiet --pipe --wait -p Delegate=yes \
        mcgexec -v --wait -e "group 'job', pids: 8" -- cat /proc/self/cgroup
    assert_success
    if [[ "$output" == *"itself (clone3 into it: Function not implemented)"* ]]; then
        skip "this kernel has no clone3: only the fallback was tested"
    fi
    refute_line --partial "itself (clone3"
    assert_line --regexp "^0::/system\.slice/$UNIT-3\.service/job\$"
}

@test "supervised: two SIGTERMs end the whole job, from a scope and in a delegated service" {
    local bg=$BATS_TEST_TMPDIR/bg pid
    # (systemd-run --scope execs the command: $! is mcgexec)
    systemd-run --scope --quiet --unit "$UNIT" "$MCGEXEC" --rm -e "group 'job', pids: 16" -- \
        sh -c "trap 'touch $bg.term' TERM; sleep 300 >/dev/null 2>&1 & echo \$! > $bg; wait; wait" &
    pid=$!
    wait_for "$bg"
    kill -TERM "$pid"
    # (passed on to the job's shell, whose trap says so, before the second)
    wait_until test -e "$bg.term"
    kill -0 "$(cat "$bg")" || fail "one SIGTERM ended the job's background process"
    kill -TERM "$pid"
    local st=0
    wait "$pid" || st=$?
    assert_equal "$st" 137
    ! kill -0 "$(cat "$bg")" 2>/dev/null || fail "the job's background process survived"
    rm -f "$bg" "$bg.term"
    systemd-run --unit "$UNIT" --quiet -p Delegate=yes "$MCGEXEC" --rm -e "group 'job', pids: 16" -- \
        sh -c "trap 'touch $bg.term' TERM; sleep 300 >/dev/null 2>&1 & echo \$! > $bg; wait; wait"
    wait_for "$bg"
    pid=$(systemctl show -P MainPID "$UNIT.service")
    kill -TERM "$pid"
    # (passed on to the job's shell, whose trap says so, before the second)
    wait_until test -e "$bg.term"
    kill -0 "$(cat "$bg")" || fail "one SIGTERM ended the job's background process"
    kill -TERM "$pid"
    wait_until test "$(systemctl show -P ActiveState "$UNIT.service")" != active
    ! kill -0 "$(cat "$bg")" 2>/dev/null || fail "the job's background process survived"
    [ ! -e "$(unit_dir)/job" ] 2>/dev/null || fail "the job's group is left"
}

@test "the recommended unit (Delegate=yes): the job's output in its journal, its limits bound the job, restart leaves one job, stop is clean" {
    local job cg
    # exec in place: output and limits
    # (without --quiet, systemd-run --wait says how the main process ended)
    # (no --pipe: the output goes where the unit's goes, the journal)
    run systemd-run --unit "$UNIT" --wait -p Delegate=yes -p MemoryMax=32M \
        "$MCGEXEC" -e "group 'job', memory: '512M'" -- sh -c 'echo "job says hello"; exec dd if=/dev/zero of=/dev/null bs=96M count=1'
    # the unit's MemoryMax, above the policy's 512M, bounds the job
    assert_line --partial "Main processes terminated with: code=killed/status=KILL"
    wait_until in_journal "$UNIT.service" "job says hello"
    systemctl reset-failed "$UNIT.service" 2>/dev/null || true
    # supervised, with the OOM named as coming from above
    run systemd-run --unit "$UNIT-w" --pipe --wait -p Delegate=yes -p MemoryMax=32M \
        "$MCGEXEC" --wait -e "group 'job', memory: '512M'" -- dd if=/dev/zero of=/dev/null bs=96M count=1
    systemctl reset-failed "$UNIT-w.service" 2>/dev/null || true
    assert_line --partial "Main processes terminated with: code=killed/status=KILL"
    assert_line "mcgexec: dd was killed by the OOM killer: group job stayed under its own memory limit (512.0 MiB), so a limit above it (its unit's, a parent group's) or the host's memory ran out"
    # restart and stop of a supervised long-running job
    systemd-run --unit "$UNIT-r" --quiet -p Delegate=yes -p Restart=always \
        "$MCGEXEC" --rm -e "group 'job', pids: 16" -- sleep 1000
    wait_until pgrep -f -x "sleep 1000" >/dev/null
    job=$(pgrep -f -x "sleep 1000")
    systemctl restart "$UNIT-r.service"
    wait_until test "$(pgrep -f -x "sleep 1000")" != "$job"
    wait_until test -n "$(pgrep -f -x "sleep 1000")"
    assert_equal "$(pgrep -c -f -x "sleep 1000")" 1
    cg=$(sed -n 's/^0:://p' "/proc/$(pgrep -f -x "sleep 1000")/cgroup")
    assert_equal "$cg" "/system.slice/$UNIT-r.service/job"
    systemctl stop "$UNIT-r.service"
    assert_equal "$(pgrep -c -f -x "sleep 1000")" 0
    # SIGTERM ended the job, and mcgexec by the same signal: a clean stop,
    # where exit status 143 would leave the unit failed
    assert_equal "$(systemctl show -P ActiveState "$UNIT-r.service")" inactive
}

@test "--dry-run says which manager and why, and prints the D-Bus call; --manager=cgroupfs is the old way" {
    run systemd-run --scope --unit "$UNIT" --quiet \
        "$MCGEXEC" -n --slice app.slice -e "group 'job', memory: '64M'" -- true
    assert_success
    local scope
    scope=$(sed -n 's/.*StartTransientUnit \(mcgexec-job-[0-9]*\.scope\),.*/\1/p' <<< "$output")
    [ -n "$scope" ] || fail "no StartTransientUnit line"
    local pid=${scope#mcgexec-job-}
    pid=${pid%.scope}
    assert_line --index 1 "# manager: systemd (auto: cgroup v2, and systemd runs this host)"
    assert_line --index 2 "# systemd: StartTransientUnit $scope, mode fail: Description=\"mcgexec: true\" Slice=app.slice Delegate=yes PIDs=$pid CollectMode=inactive-or-failed KillSignal=SIGTERM TimeoutStopUSec=5000000"
    assert_line --index 3 "# group names resolve below /sys/fs/cgroup/app.slice/$scope"
    assert_line --index 4 "write /sys/fs/cgroup/app.slice/$scope/cgroup.subtree_control +memory"
    assert_line --index 5 "mkdir /sys/fs/cgroup/app.slice/$scope/job"
    unit_gone "$scope" || fail "a dry run started $scope"

    # from a service without Delegate=yes: the refusal, as the real run
    run systemd-run --unit "$UNIT-n" --quiet --pipe --wait \
        "$MCGEXEC" -n -e "group 'job', memory: '64M'" -- true
    systemctl reset-failed "$UNIT-n.service" 2>/dev/null || true
    assert_equal "$status" 125
    assert_line --partial "mcgexec: mcgexec is the program of $UNIT-n.service"

    MCGEXEC_MANAGER=cgroupfs run systemd-run --unit "$UNIT-c" --quiet --pipe --wait -E MCGEXEC_MANAGER \
        "$MCGEXEC" -n -e "group 'job', memory: '64M'" -- true
    systemctl reset-failed "$UNIT-c.service" 2>/dev/null || true
    assert_success
    assert_line --index 1 "# manager: cgroupfs (--manager=cgroupfs)"
    refute_output --partial "delegated"
    assert_line "mkdir /sys/fs/cgroup/job"
}

@test "--manager=systemd where it cannot be: one line each, 125" {
    # (this test runs in mcgexec-vm.service, which has no Delegate=yes)
    for m in auto systemd; do
        run "$MCGEXEC" --manager=$m --root self -e "group 'job', pids: 8" -- true
        assert_equal "$status" 125
        assert_line --index 0 "mcgexec: --root self: /sys/fs/cgroup/system.slice/mcgexec-vm.service is not in a cgroup systemd delegated, and systemd owns the rest of the hierarchy: run mcgexec in a unit with Delegate=yes, leave --root out (a scope of its own), or give --manager=cgroupfs to write there anyway"
    done
    run "$MCGEXEC" --root /mcgtest -e "group 'job', pids: 8" -- true
    assert_equal "$status" 125
    assert_line --index 0 --partial "mcgexec: --root /mcgtest: /sys/fs/cgroup/mcgtest is not in a cgroup systemd delegated"
    [ ! -e /sys/fs/cgroup/mcgtest ] || fail "--root made a group at the top"
    MCGEXEC_MANAGER=bogus run "$MCGEXEC" -e "group 'job'" -- true
    assert_equal "$status" 125
    assert_line --index 0 "mcgexec: MCGEXEC_MANAGER=bogus: auto, systemd or cgroupfs"
    run "$MCGEXEC" --slice nope -e "group 'job'" -- true
    assert_equal "$status" 125
    assert_line --index 0 "mcgexec: --slice takes a slice unit's name, such as system.slice or batch.slice"
}

@test "limits below a delegated service survive daemon-reload; systemctl stop ends the job" {
    systemd-run --unit "$UNIT" --quiet -p Delegate=yes \
        "$MCGEXEC" --root self -e "group 'job', memory: '64M'" -- sleep 1000
    local dir
    dir=$(unit_dir)/job
    wait_for "$dir/cgroup.procs"
    local pid
    pid=$(head -n 1 "$dir/cgroup.procs")
    assert_equal "$(cat "$dir/memory.max")" 67108864
    systemctl daemon-reload
    assert_equal "$(cat "$dir/memory.max")" 67108864
    assert_equal "$(head -n 1 "$dir/cgroup.procs")" "$pid"
    systemctl stop "$UNIT.service"
    ! kill -0 "$pid" 2>/dev/null || fail "the job ($pid) outlived systemctl stop"
    [ ! -e "$dir" ] || fail "$dir is left"
}

@test "--rm from a shell wrapper in a delegated service: the shell goes home, nothing is left" {
    run systemd-run --unit "$UNIT" --quiet --pipe --wait -p Delegate=yes sh -c \
        "\"$MCGEXEC\" --root self --rm -e \"group 'job', pids: 16\" -- cat /proc/self/cgroup
         cg=\$(sed -n 's/^0:://p' /proc/self/cgroup)
         echo \"shell \$cg\"
         ls \"/sys/fs/cgroup\$cg\" | grep -x -e job -e 'mcgexec\\..*' | sed 's/^/left /'
         echo \"subtree: \$(cat /sys/fs/cgroup\$cg/cgroup.subtree_control)\""
    assert_success
    assert_line --index 0 "0::/system.slice/$UNIT.service/job"
    assert_line --index 1 "shell /system.slice/$UNIT.service"
    assert_line --index 2 "subtree: "
    assert_equal "${#lines[@]}" 3
}

@test "the shell wrapper in a delegated service: its processes move to mcgexec's leaf, the job runs" {
    # the shape of ExecStart=/bin/sh -c '... mcgexec ...; ...'
    run systemd-run --unit "$UNIT" --quiet --pipe --wait -p Delegate=yes sh -c \
        "\"$MCGEXEC\" --root self -e \"group 'job', memory: '64M'\" -- cat /proc/self/cgroup
         echo \"shell \$(sed -n 's/^0:://p' /proc/self/cgroup)\""
    assert_success
    assert_line --index 0 "0::/system.slice/$UNIT.service/job"
    assert_line --index 1 --regexp "^shell /system.slice/$UNIT\.service/mcgexec\.[0-9]+\$"
}

@test "a shared cgroup systemd did not delegate is left alone: one line, 125" {
    # this test runs in mcgexec-vm.service, which has no Delegate=yes, beside
    # bats; --manager=cgroupfs, told to write there, finds it busy
    run_marked --manager=cgroupfs --root self -e "group '$G', memory: '64M'"
    assert_output --regexp "^mcgexec: -e:1: cannot enable controller 'memory' in /sys/fs/cgroup/system\.slice/mcgexec-vm\.service: it has processes of its own"
    assert_not_ran
    [ -z "$(ls -d /sys/fs/cgroup/system.slice/mcgexec-vm.service/mcgexec.* 2>/dev/null)" ] ||
        fail "a leaf was made"
}

@test "where systemd refuses the scope, or mcgexec-systemd is missing: one line, 125, nothing made" {
    # a name mcgexec lets through and systemd refuses ("--" in a slice's name)
    run systemd-run --scope --quiet --unit "$UNIT" "$MCGEXEC" --slice bad--name.slice -e "group '$G', memory: '64M'" -- touch "$BATS_TEST_TMPDIR/ran"
    assert_equal "$status" 125
    assert_equal "${#lines[@]}" 1
    assert_output --regexp "^mcgexec: -e:1: systemd did not start mcgexec-$G-[0-9]+\.scope for the groups: StartTransientUnit: .+"
    [ ! -e "$BATS_TEST_TMPDIR/ran" ] || fail "COMMAND ran"
    [ -z "$(systemctl list-units --all --no-legend "mcgexec-$G-*.scope")" ] || fail "a scope was left"
    [ -z "$(find /sys/fs/cgroup -name "$G*" 2>/dev/null)" ] || fail "a group was left"

    [ -z "$(ls /usr/libexec/mcgexec/mcgexec-systemd /usr/local/libexec/mcgexec/mcgexec-systemd 2>/dev/null)" ] ||
        skip "mcgexec-systemd is installed here"
    cp "$MCGEXEC" "$BATS_TEST_TMPDIR/mcgexec"
    local dry
    for dry in "" -n; do
        run systemd-run --scope --quiet --unit "$UNIT-$RANDOM" "$BATS_TEST_TMPDIR/mcgexec" $dry -e "group '$G', memory: '64M'" -- touch "$BATS_TEST_TMPDIR/ran"
        assert_equal "$status" 125
        assert_line --regexp "^mcgexec: -e:1: the systemd manager needs mcgexec-systemd \(not found beside mcgexec, in \.\./libexec/mcgexec from it, nor at /.*/mcgexec-systemd: a build without libsystemd\?\); give --manager=cgroupfs with --root, or run mcgexec in a unit with Delegate=yes\$"
    done
    [ ! -e "$BATS_TEST_TMPDIR/ran" ] || fail "COMMAND ran"
    [ -z "$(find /sys/fs/cgroup -name "$G*" 2>/dev/null)" ] || fail "a group was left"
}

# install FILE...: put files in place for this test; teardown removes them
install_for_test() {
    INSTALLED+=("$@")
}

@test "examples/systemd: both units, as shipped, run the app under the policy's limits and stop cleanly" {
    getent passwd app >/dev/null || skip "no user 'app' in this guest (scripts/vm-systemd.sh makes one)"
    [ -e /usr/bin/mcgexec ] || { ln -s "$MCGEXEC" /usr/bin/mcgexec; install_for_test /usr/bin/mcgexec; }
    mkdir -p /etc/mcgexec
    install -m 644 "$TOP/examples/systemd/app.rb" /etc/mcgexec/app.rb
    printf '#!/bin/sh\n[ "$1" = --serve ] || exit 2\nexec sleep 1000\n' > /usr/local/bin/app
    chmod 755 /usr/local/bin/app
    install_for_test /etc/mcgexec/app.rb /usr/local/bin/app
    local unit job cg
    for unit in app app-delegated; do
        install -m 644 "$TOP/examples/systemd/$unit.service" /etc/systemd/system/
        install_for_test "/etc/systemd/system/$unit.service"
    done
    systemctl daemon-reload
    for unit in app app-delegated; do
        systemctl start "$unit.service"
        wait_until pgrep -u app -x sleep >/dev/null
        job=$(pgrep -u app -x sleep)
        cg=$(sed -n 's/^0:://p' "/proc/$job/cgroup")
        assert_equal "$cg" "/system.slice/$unit.service/services/app"
        assert_equal "$(cat "/sys/fs/cgroup$cg/cpu.max")" "200000 100000"
        assert_equal "$(cat "/sys/fs/cgroup$cg/memory.max")" 1073741824
        assert_equal "$(cat "/sys/fs/cgroup$cg/pids.max")" 256
        systemctl stop "$unit.service"
        ! kill -0 "$job" 2>/dev/null || fail "$unit: the job outlived systemctl stop"
        wait_until test ! -e "/sys/fs/cgroup$cg"
    done
}

# A container booted with systemd as PID 1 (systemd-nspawn -b; on cgroup v2
# its own cgroup namespace, the shape of LXC/Incus system containers): a
# copy-on-write view of the guest's own root, where tests/ctr-inner.sh runs
# as a unit of the container's systemd and leaves its output in $1/out.
boot_container() {
    local ctr=$1
    mkdir -p "$ctr"
    mount -t tmpfs tmpfs "$ctr"
    mkdir -p "$ctr/upper" "$ctr/work" "$ctr/root" "$ctr/out"
    grep -qw overlay /proc/filesystems || insmod /overlay.ko
    mount -t overlay overlay -o "lowerdir=/,upperdir=$ctr/upper,workdir=$ctr/work" "$ctr/root"
    cat > "$ctr/root/etc/systemd/system/ctr-inner.service" <<UNIT
[Unit]
After=basic.target dbus.service
Wants=dbus.service
SuccessAction=exit-force
FailureAction=exit-force
[Service]
Type=oneshot
Environment=MCGEXEC=$MCGEXEC
ExecStart=/bin/sh -c 'bash $BATS_TEST_DIRNAME/ctr-inner.sh > /out/log 2>&1; echo "status \$?" >> /out/log'
UNIT
    ln -s ../ctr-inner.service "$ctr/root/etc/systemd/system/multi-user.target.wants/"
    # (the tree bound as it is: nspawn mounts a tmpfs on the container's
    # /tmp, where a CI clone may live)
    timeout 300 systemd-nspawn --quiet --directory="$ctr/root" --machine="$G" --boot \
        --bind="$ctr/out:/out" --bind-ro="$TOP" --console=pipe < /dev/null
}

@test "in a container with systemd as PID 1 (systemd-nspawn): mcgexec asks the container's systemd, never the host's" {
    command -v systemd-nspawn >/dev/null || skip "no systemd-nspawn"
    local ctr="/run/$G" before after
    before=$(find /sys/fs/cgroup -name 'mcgexec-*' | sort)
    run boot_container "$ctr"
    local log
    log=$(cat "$ctr/out/log" 2>/dev/null)
    umount "$ctr/root" "$ctr" 2>/dev/null || true
    rmdir "$ctr"
    echo "$log"
    [ "$status" -eq 0 ] || fail "systemd-nspawn ended $status"
    run echo "$log"
    # the choice and its reason
    assert_line --regexp '^mcgexec: manager: systemd \(auto: cgroup v2, and systemd runs this container'
    # from a scope of the container: a scope of mcgexec's own, made by the
    # container's systemd, the limits read back in the container's view
    assert_line --regexp '^mcgexec: systemd started mcgexec-job-[0-9]+\.scope: /sys/fs/cgroup/system\.slice/mcgexec-job-[0-9]+\.scope$'
    assert_line --regexp '^job at /system\.slice/mcgexec-job-[0-9]+\.scope/job$'
    assert_line "memory.max 67108864"
    assert_line "pids.max 20"
    # a job of a service of the container without Delegate=yes (a runner's
    # shape): a scope bound to it; the service's own program: refused, as
    # on a host
    assert_line --regexp '^runner job at /system\.slice/mcgexec-job-[0-9]+\.scope/job$'
    assert_line --regexp '^mcgexec: systemd: StartTransientUnit mcgexec-job-[0-9]+\.scope, .* BindsTo=ctr-inner\.service$'
    assert_line --regexp "^refused: mcgexec: mcgexec is the program of run-[a-z0-9]+\.service \(its main process [0-9]+\), which has no Delegate=yes: its cgroup is systemd's; add Delegate=yes to it"
    assert_line "refused status 125"
    assert_line "leftovers: none"
    assert_line "status 0"
    # nothing of mcgexec's on the guest's side of the container
    after=$(find /sys/fs/cgroup -name 'mcgexec-*' | sort)
    [ "$before" = "$after" ] || fail "left on the host: $after"
}
