#!/usr/bin/env bats
# Inside another program's delegation: a one-node Slurm 22.05 cluster
# (cgroup/v2, proctrack/cgroup, task/cgroup) in the guest of
# scripts/vm.sh --slurm.  slurmd asks systemd for HOST_slurmstepd.scope
# (Delegate=yes) and makes the tree below it itself:
# job_N/step_M/user/task_K.  mcgexec in a task stays where Slurm put it:
# its groups below task_K, nothing enabled or written above it, Slurm's
# own limits above the policy's; a user is never moved out to their user
# manager unasked.  Elsewhere these skip.

load helpers
load systemd-helpers

TESTER=tester

setup() {
    G="mcgtest-$$-${BATS_TEST_NUMBER}-$RANDOM"
    [ "${MCGEXEC_VM_SLURM:-}" = 1 ] || skip "runs in the Slurm guest (scripts/vm.sh --slurm)"
    D=$(mktemp -d /tmp/mcgtest-slurm.XXXXXX)
    chmod 777 "$D"
    SCOPE=$(ls -d /sys/fs/cgroup/system.slice/*_slurmstepd.scope 2>/dev/null | head -n 1)
}

teardown() {
    [ -n "${D:-}" ] || return 0
    scancel --user=root --user="$TESTER" 2>/dev/null || true
    rm -rf "$D"
}

# What of Slurm's scope a run may not change: every cgroup's controllers
# and subtree_control, and the mcgexec groups (none once the jobs end).
scope_state() {
    local scope
    scope=$(ls -d /sys/fs/cgroup/system.slice/*_slurmstepd.scope 2>/dev/null | head -n 1)
    [ -n "$scope" ] || return 0
    cat "$scope/cgroup.subtree_control"
    find "$scope" -maxdepth 1 -mindepth 1 -type d | sort
}

# A task's report: its cgroup, relative to Slurm's scope, and files of it.
TASK_REPORT='cg=$(sed -n "s/^0:://p" /proc/self/cgroup); echo "${cg#*_slurmstepd.scope}"; for f; do cat "/sys/fs/cgroup$cg/$f"; done'

@test "root in a Slurm step: the groups below the task's cgroup, Slurm's scope as it was, the decision in --verbose" {
    local before
    # (a first job makes Slurm's scope)
    srun true
    before=$(scope_state)
    run srun --mem=300M "$MCGEXEC" -v -e "group 'jobB', memory: '64M'" -- sh -c "$TASK_REPORT" - memory.max
    assert_success
    assert_line --regexp '^mcgexec: mcgexec runs inside /sys/fs/cgroup/system\.slice/[^/]+_slurmstepd\.scope, which systemd delegated \(Delegate=yes\), in cgroups the program it was delegated to made: that program owns them, and group names resolve below mcgexec.s own cgroup, /sys/fs/cgroup/system\.slice/[^/]+_slurmstepd\.scope/job_[0-9]+/step_0/user/task_0, as with --root self$'
    assert_line --regexp '^/job_[0-9]+/step_0/user/task_0/jobB$'
    assert_line 67108864
    assert_line "mcgexec: mcgexec stays as the job's supervisor and removes its groups when the job ends (as --rm): the cgroups they are in are that program's to remove"
    refute_output --partial "StartTransientUnit"
    # a controller Slurm did not give the task (pids): one line, nothing
    # written above the task
    run srun "$MCGEXEC" -e "group 'jobB', pids: 20" -- true
    assert_failure
    assert_output --partial "pids"
    # (Slurm removes the job's cgroups once the job completes: nothing of
    # mcgexec's is left in them to stop it)
    wait_until test "$(scope_state)" = "$before"
}

@test "root in a Slurm step: Slurm's tighter --mem bounds a job whose policy allows more; the OOM kill named" {
    run srun --mem=64M "$MCGEXEC" --wait -e "group 'jobB', memory: '512M'" -- \
        dd if=/dev/zero of=/dev/null bs=128M count=1
    assert_failure
    assert_line "mcgexec: dd was killed by the OOM killer: group jobB stayed under its own memory limit (512.0 MiB), so a limit above it (its unit's, a parent group's) or the host's memory ran out"
    # Slurm saw it too, in its step's cgroup (memory.events counts below)
    assert_output --regexp "slurmstepd.*Detected 1 oom.kill event"
    # and the policy's own, tighter limit: its line, as anywhere
    run srun --mem=300M "$MCGEXEC" --wait -e "group 'jobB', memory: '32M'" -- \
        dd if=/dev/zero of=/dev/null bs=96M count=1
    assert_failure
    assert_line "mcgexec: dd was killed by the OOM killer: group jobB reached its memory limit (32.0 MiB)"
}

@test "a user in a Slurm step: refused in one line naming Slurm's scope, never moved out to the user manager; --scope moves out when asked" {
    id "$TESTER" >/dev/null 2>&1 || fail "the guest has no user $TESTER"
    local tuid
    tuid=$(id -u "$TESTER")
    systemctl start "user@$tuid.service"
    run runuser -u "$TESTER" -- srun "$MCGEXEC" -e "group 'jobB', memory: '64M'" -- true
    assert_failure
    assert_line --regexp "^mcgexec: mcgexec runs inside /sys/fs/cgroup/system\.slice/[^/]+_slurmstepd\.scope, a subtree systemd delegated to another program \([^)]+_slurmstepd\.scope\), whose cgroups uid $tuid cannot change: ask that program for the limits \(as srun --mem does\), or give --scope to move the job to a scope of your user manager, out of that program's limits, accounting and signals\$"
    [ -z "$(find /sys/fs/cgroup/user.slice -name 'mcgexec-*' 2>/dev/null)" ] || fail "a user scope was made"
    run runuser -u "$TESTER" -- srun "$MCGEXEC" --scope -e "group 'jobB', memory: '64M'" -- sh -c "$JOB_REPORT" - memory.max
    assert_success
    assert_line --regexp "^/user\.slice/user-$tuid\.slice/user@$tuid\.service/app\.slice/mcgexec-jobB-[0-9]+\.scope/jobB\$"
    assert_line 67108864
    systemctl stop "user@$tuid.service"
}

@test "examples/ci/slurm-batch.sh under sbatch: each step below its task's cgroup, under the step policy's limits; nothing left" {
    local ws=$D/ws before
    mkdir -p "$ws"
    printf 'all:\n\t@cg=$$(sed -n "s/^0:://p" /proc/self/cgroup); echo "make in $${cg#*_slurmstepd.scope}, memory.max $$(cat /sys/fs/cgroup$$cg/memory.max), cpu.max $$(cat /sys/fs/cgroup$$cg/cpu.max)"\n' > "$ws/Makefile"
    srun true
    before=$(scope_state)
    # (the installed examples are root's, as a policy run as root must be)
    MCGEXEC_POLICY=$TOP/examples/ci/slurm-step.rb \
        sbatch --wait --mem=1G --chdir="$ws" --output="$ws/out" "$TOP/examples/ci/slurm-batch.sh" ||
        fail "the batch job failed: $(cat "$ws/out")"
    run cat "$ws/out"
    assert_line --regexp '^step in /system\.slice/[^/]+_slurmstepd\.scope/job_[0-9]+/step_0/user/task_0/step-0$'
    assert_line --regexp '^make in /job_[0-9]+/step_1/user/task_0/step-1, memory.max 268435456, cpu.max 50000 100000$'
    wait_until test "$(scope_state)" = "$before"
    # mcgexec directly in the batch script: one line, the script's status
    printf '#!/bin/sh\n"%s" "%s" -- true\n' "$MCGEXEC" "$TOP/examples/ci/slurm-step.rb" > "$D/direct.sh"
    run sbatch --wait --output="$D/direct.out" "$D/direct.sh"
    assert_failure
    run cat "$D/direct.out"
    assert_output --partial "the no-internal-processes rule"
    wait_until test "$(scope_state)" = "$before"
}
