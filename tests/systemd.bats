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
    systemctl stop "$UNIT.service" "$UNIT.scope" 'mcgexec-*.scope' 2>/dev/null || true
    systemctl reset-failed "$UNIT.service" 2>/dev/null || true
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

# wait_until COMMAND...: until it succeeds (10 s at most)
wait_until() {
    local i
    for i in $(seq 100); do
        "$@" && return 0
        sleep 0.1
    done
    fail "waited 10 s for: $*"
}

# Is unit $1 gone, with its cgroup?  (A transient unit is unloaded once it
# is inactive: its load state reads not-found.)
unit_gone() {
    [ "$(systemctl show -P LoadState "$1")" = not-found ] &&
        ! ls -d /sys/fs/cgroup/*.slice/"$1" >/dev/null 2>&1
}

# A job's lines as the tests print them: the cgroup, then files of it.
JOB_REPORT='cg=$(sed -n "s/^0:://p" /proc/self/cgroup); echo "$cg"; for f; do cat "/sys/fs/cgroup$cg/$f"; done'

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

@test "a service without Delegate=yes: the job runs in a scope bound to it; daemon-reload keeps the limits, stop ends the job" {
    systemd-run --unit "$UNIT" --quiet "$MCGEXEC" -e "group 'job', memory: '64M'" -- sleep 1000
    local pid scope
    wait_until test -n "$(systemctl show -P MainPID "$UNIT.service" | grep -v '^0$')"
    pid=$(systemctl show -P MainPID "$UNIT.service")
    scope=mcgexec-job-$pid.scope
    wait_until grep -qx "$pid" "/sys/fs/cgroup/system.slice/$scope/job/cgroup.procs"
    assert_equal "$(cat "/sys/fs/cgroup/system.slice/$scope/job/memory.max")" 67108864
    assert_equal "$(systemctl show -P BindsTo "$scope")" "$UNIT.service"
    assert_equal "$(systemctl show -P ActiveState "$UNIT.service")" active
    systemctl daemon-reload
    assert_equal "$(cat "/sys/fs/cgroup/system.slice/$scope/job/memory.max")" 67108864
    systemctl stop "$UNIT.service"
    ! kill -0 "$pid" 2>/dev/null || fail "the job ($pid) outlived systemctl stop"
    wait_until unit_gone "$scope"
}

@test "a shell wrapper in a service without Delegate=yes: mcgexec and the job go to a scope, the shell stays" {
    run systemd-run --unit "$UNIT" --quiet --pipe --wait sh -c \
        "\"$MCGEXEC\" -e \"group 'job', memory: '64M'\" -- cat /proc/self/cgroup
         echo \"shell \$(sed -n 's/^0:://p' /proc/self/cgroup)\""
    assert_success
    assert_line --index 0 --regexp "^0::/system\.slice/mcgexec-job-[0-9]+\.scope/job\$"
    assert_line --index 1 "shell /system.slice/$UNIT.service"
}

@test "a service without Delegate=yes, supervised (--wait): stop ends the job and its supervisor" {
    systemd-run --unit "$UNIT" --quiet "$MCGEXEC" --wait -e "group 'job', pids: 16" -- sleep 1000
    local pid scope dir job
    wait_until test -n "$(systemctl show -P MainPID "$UNIT.service" | grep -v '^0$')"
    pid=$(systemctl show -P MainPID "$UNIT.service")
    scope=mcgexec-job-$pid.scope
    dir=/sys/fs/cgroup/system.slice/$scope
    wait_until test -n "$(cat "$dir/job/cgroup.procs" 2>/dev/null)"
    job=$(head -n 1 "$dir/job/cgroup.procs")
    assert_equal "$(cat "$dir/job/pids.max")" 16
    # the supervisor waits in its leaf of the scope
    assert_equal "$(cat "$dir/mcgexec.$pid/cgroup.procs")" "$pid"
    systemctl stop "$UNIT.service"
    ! kill -0 "$job" 2>/dev/null || fail "the job ($job) outlived systemctl stop"
    ! kill -0 "$pid" 2>/dev/null || fail "mcgexec ($pid) outlived systemctl stop"
    wait_until unit_gone "$scope"
}

@test "--dry-run says which manager and why, and prints the D-Bus call; --manager=cgroupfs is the old way" {
    run systemd-run --unit "$UNIT" --quiet --pipe --wait \
        "$MCGEXEC" -n --slice app.slice -e "group 'job', memory: '64M'" -- true
    assert_success
    local scope
    scope=$(sed -n 's/.*StartTransientUnit \(mcgexec-job-[0-9]*\.scope\),.*/\1/p' <<< "$output")
    [ -n "$scope" ] || fail "no StartTransientUnit line"
    local pid=${scope#mcgexec-job-}
    pid=${pid%.scope}
    assert_line --index 1 "# manager: systemd (auto: cgroup v2, and systemd runs this host)"
    assert_line --index 2 "# $UNIT.service has no Delegate=yes: the scope is bound to it, stopping it stops the job"
    assert_line --index 3 "# systemd: StartTransientUnit $scope, mode fail: Description=\"mcgexec's groups (pid $pid)\" Slice=app.slice Delegate=yes PIDs=$pid CollectMode=inactive-or-failed BindsTo=$UNIT.service"
    assert_line --index 4 "# group names resolve below /sys/fs/cgroup/app.slice/$scope"
    assert_line --index 5 "write /sys/fs/cgroup/app.slice/$scope/cgroup.subtree_control +memory"
    assert_line --index 6 "mkdir /sys/fs/cgroup/app.slice/$scope/job"
    unit_gone "$scope" || fail "a dry run started $scope"

    MCGEXEC_MANAGER=cgroupfs run systemd-run --unit "$UNIT-c" --quiet --pipe --wait -E MCGEXEC_MANAGER \
        "$MCGEXEC" -n -e "group 'job', memory: '64M'" -- true
    systemctl reset-failed "$UNIT-c.service" 2>/dev/null || true
    assert_success
    assert_line --index 1 "# manager: cgroupfs (--manager=cgroupfs)"
    refute_output --partial "delegated"
    assert_line "mkdir /sys/fs/cgroup/job"
}

@test "--manager=systemd where it cannot be: one line each, 125" {
    run "$MCGEXEC" --manager=systemd --root self -e "group 'job'" -- true
    assert_equal "$status" 125
    assert_line --index 0 "mcgexec: --root cannot be combined with --manager=systemd: systemd's delegation decides where the groups go"
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
    # this test runs in mcgexec-vm.service, which has no Delegate=yes, beside bats
    run_marked --root self -e "group '$G', memory: '64M'"
    assert_output --regexp "^mcgexec: -e:1: cannot enable controller 'memory' in /sys/fs/cgroup/system\.slice/mcgexec-vm\.service: it has processes of its own"
    assert_not_ran
    [ -z "$(ls -d /sys/fs/cgroup/system.slice/mcgexec-vm.service/mcgexec.* 2>/dev/null)" ] ||
        fail "a leaf was made"
}

@test "where systemd refuses the scope, or mcgexec-systemd is missing: one line, 125, nothing made" {
    # a name mcgexec lets through and systemd refuses ("--" in a slice's name)
    run "$MCGEXEC" --slice bad--name.slice -e "group '$G', memory: '64M'" -- touch "$BATS_TEST_TMPDIR/ran"
    assert_equal "$status" 125
    assert_equal "${#lines[@]}" 1
    assert_output --regexp "^mcgexec: -e:1: systemd did not start mcgexec-$G-[0-9]+\.scope for the groups: StartTransientUnit: .+"
    [ ! -e "$BATS_TEST_TMPDIR/ran" ] || fail "COMMAND ran"
    [ -z "$(systemctl list-units --all --no-legend "mcgexec-$G-*.scope")" ] || fail "a scope was left"
    [ -z "$(find /sys/fs/cgroup -name "$G*" 2>/dev/null)" ] || fail "a group was left"

    [ -z "$(ls /usr/libexec/mcgexec/mcgexec-systemd /usr/local/libexec/mcgexec/mcgexec-systemd 2>/dev/null)" ] ||
        skip "mcgexec-systemd is installed here"
    cp "$MCGEXEC" "$BATS_TEST_TMPDIR/mcgexec"
    run "$BATS_TEST_TMPDIR/mcgexec" -e "group '$G', memory: '64M'" -- touch "$BATS_TEST_TMPDIR/ran"
    assert_equal "$status" 125
    assert_output --regexp "^mcgexec: -e:1: the systemd manager needs mcgexec-systemd \(not found beside mcgexec nor at /.*/mcgexec-systemd: a build without libsystemd\?\); give --manager=cgroupfs with --root, or run mcgexec in a unit with Delegate=yes\$"
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
        if [ "$unit" = app ]; then
            # no Delegate=yes: a scope of mcgexec's, bound to the service
            [[ $cg =~ ^/system\.slice/mcgexec-services-app-[0-9]+\.scope/services/app$ ]] ||
                fail "$unit: the job is in $cg"
        else
            assert_equal "$cg" /system.slice/app-delegated.service/services/app
        fi
        assert_equal "$(cat "/sys/fs/cgroup$cg/cpu.max")" "200000 100000"
        assert_equal "$(cat "/sys/fs/cgroup$cg/memory.max")" 1073741824
        assert_equal "$(cat "/sys/fs/cgroup$cg/pids.max")" 256
        systemctl stop "$unit.service"
        ! kill -0 "$job" 2>/dev/null || fail "$unit: the job outlived systemctl stop"
        wait_until test ! -e "/sys/fs/cgroup$cg"
    done
}
