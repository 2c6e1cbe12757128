#!/usr/bin/env bats
# A cgroup v2 host whose PID 1 is systemd: mcgexec under systemd's
# delegation rules (systemd's docs/CGROUP_DELEGATION.md).  These run in the
# guest of scripts/vm.sh --systemd, where the tests may start units of
# their own; elsewhere they skip.

load helpers

setup() {
    G="mcgtest-$$-${BATS_TEST_NUMBER}-$RANDOM"
    [ "${MCGEXEC_VM:-}" = systemd ] || skip "runs in the systemd guest (scripts/vm.sh --systemd)"
    [ "$(cat /proc/1/comm)" = systemd ] && [ -d /run/systemd/system ] || fail "PID 1 is not systemd"
    is_v2 || fail "the systemd guest is not on cgroup v2"
    UNIT=$G
}

teardown() {
    [ -n "${UNIT:-}" ] || return 0
    systemctl stop "$UNIT.service" 2>/dev/null || true
    systemctl reset-failed "$UNIT.service" 2>/dev/null || true
}

# The cgroup of the unit's service, absolute.
unit_dir() {
    echo "/sys/fs/cgroup$(systemctl show -P ControlGroup "$UNIT.service")"
}

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
    assert_line --index 1 "# /sys/fs/cgroup/system.slice/$UNIT-n.service is delegated (Delegate=yes): group names resolve below it"
    assert_line "mkdir /sys/fs/cgroup/system.slice/$UNIT-n.service/job"
}

@test "without Delegate=yes the service's cgroup is not taken for a delegated one" {
    run systemd-run --unit "$UNIT" --quiet --pipe --wait \
        "$MCGEXEC" -n -e "group 'job', memory: '64M'" -- true
    assert_success
    refute_output --partial "delegated"
    assert_line "mkdir /sys/fs/cgroup/job"
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
    # this test runs in mcgexec-vm.service, which has no Delegate=yes, beside bats
    run_marked --root self -e "group '$G', memory: '64M'"
    assert_output --regexp "^mcgexec: -e:1: cannot enable controller 'memory' in /sys/fs/cgroup/system\.slice/mcgexec-vm\.service: it has processes of its own"
    assert_not_ran
    [ -z "$(ls -d /sys/fs/cgroup/system.slice/mcgexec-vm.service/mcgexec.* 2>/dev/null)" ] ||
        fail "a leaf was made"
}
