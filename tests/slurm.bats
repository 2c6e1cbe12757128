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

# A task's report: its cgroup, relative to Slurm's scope, then the type of
# that cgroup and files of its parent (Slurm's task_K for a threaded group).
TASK_REPORT='cg=$(sed -n "s/^0:://p" /proc/self/cgroup); echo "${cg#*_slurmstepd.scope}"; cat "/sys/fs/cgroup$cg/cgroup.type"; for f; do cat "/sys/fs/cgroup${cg%/*}/$f"; done'

@test "root in a Slurm step: threaded groups below the task's cgroup, which still lists the job; Slurm's scope as it was; the decision in --verbose" {
    local before
    # (a first job makes Slurm's scope)
    srun true
    before=$(scope_state)
    run srun --mem=300M "$MCGEXEC" -v -e "group 'jobB', memory: '64M', cpu: '50%'" -- \
        sh -c "$TASK_REPORT"'; grep -qx $$ "/sys/fs/cgroup${cg%/*}/cgroup.procs" && echo "task lists the job"' - memory.max cgroup.type
    assert_success
    assert_line --regexp '^mcgexec: mcgexec runs inside /sys/fs/cgroup/system\.slice/[^/]+_slurmstepd\.scope, which systemd delegated \(Delegate=yes\), in cgroups the program it was delegated to made: that program owns them, and group names resolve below mcgexec.s own cgroup, /sys/fs/cgroup/system\.slice/[^/]+_slurmstepd\.scope/job_[0-9]+/step_0/user/task_0, as threaded groups: it still lists the job.s processes, so the program.s signals reach the job, and memory and io limits are its own$'
    assert_line --regexp '^/job_[0-9]+/step_0/user/task_0/jobB$'
    assert_line threaded
    assert_line "domain threaded"
    assert_line 67108864
    assert_line "task lists the job"
    assert_line "mcgexec: mcgexec stays as the job's supervisor and removes its groups when the job ends (as --rm): the cgroups they are in are that program's to remove"
    refute_output --partial "StartTransientUnit"
    # the task's memory.max back as it was once the job ended, for what the
    # task runs next
    cat > "$D/task.sh" <<EOF
"$MCGEXEC" -e "group 'jobB', memory: '64M'" -- true
cg=\$(sed -n "s/^0:://p" /proc/self/cgroup); echo "\${cg#*_slurmstepd.scope}"; cat "/sys/fs/cgroup\$cg/memory.max"
EOF
    run srun sh "$D/task.sh"
    assert_success
    assert_line --regexp '^/job_[0-9]+/step_0/user/task_0$'
    assert_line max
    # a limit someone else set on the task's cgroup is never lifted
    cat > "$D/set.sh" <<EOF
cg=\$(sed -n "s/^0:://p" /proc/self/cgroup); echo 209715200 > "/sys/fs/cgroup\$cg/memory.max"
"$MCGEXEC" -e "group 'jobB', memory: '512M'" -- true
EOF
    run srun sh "$D/set.sh"
    assert_failure
    assert_line --regexp "memory.max of group jobB: below .*task_0 the groups are threaded .*, whose memory.max is 209715200 already, set by the program that owns it, which mcgexec lowers but never lifts: ask that program for the limit \\(as srun --mem does\\)$"
    # a controller Slurm did not give the task (pids): one line, nothing
    # written above the task
    run srun "$MCGEXEC" -e "group 'jobB', pids: 20" -- true
    assert_failure
    assert_output --partial "pids"
    # two groups' memory limits: one line
    run srun "$MCGEXEC" -e "group 'a', memory: '64M'; group 'b', memory: '32M'" -- true
    assert_failure
    assert_line --regexp "^mcgexec: -e:1: memory.limit_in_bytes = .32M. \\(33554432\\): memory.max of group b: below .*task_0 the groups are threaded .* for one group: group a has them$"
    # (Slurm removes the job's cgroups once the job completes: nothing of
    # mcgexec's is left in them to stop it)
    wait_until test "$(scope_state)" = "$before"
}

@test "root in a Slurm step: the cpu quota throttles the job in its threaded group" {
    run srun "$MCGEXEC" --wait --stats=/dev/stdout -e "group 'jobB', cpu: '20%'" -- \
        sh -c 'i=0; while [ $i -lt 300000 ]; do i=$((i+1)); done; cg=$(sed -n "s/^0:://p" /proc/self/cgroup); grep nr_throttled "/sys/fs/cgroup$cg/cpu.stat"'
    assert_success
    local n
    n=$(printf '%s\n' "$output" | sed -n 's/^nr_throttled //p')
    [ "${n:-0}" -gt 0 ] || fail "not throttled: $output"
}

# scancel_step TERM-ACTION MCGEXEC-ARG...: scancel of a step whose job (a
# shell whose TERM trap is TERM-ACTION) runs under mcgexec (in place:
# mcgexec supervises it in the task): Slurm's TERM reaches the job, and
# mcgexec ends it after --kill-after, before Slurm's KillWait (5 s in the
# guest) is out; the job is gone, nothing is left in Slurm's scope, the
# node is idle.
scancel_step() {
    local trap=$1 before name=mcgt$$ job
    shift
    srun true
    before=$(scope_state)
    srun --job-name="$name" "$MCGEXEC" "$@" -e "group 'jobB', memory: '64M', cpu: '50%'" -- \
        sh -c "echo \$\$ > $D/pid; trap '$trap' TERM; sleep 600 & wait" > "$D/out" 2>&1 &
    local srun_pid=$!
    within 30 test -s "$D/pid" || fail "the job did not start: $(cat "$D/out")"
    job=$(cat "$D/pid")
    grep -q threaded "/sys/fs/cgroup$(sed -n 's/^0:://p' "/proc/$job/cgroup")/cgroup.type" ||
        fail "the job is not in a threaded group"
    scancel --name="$name"
    within 15 gone "$job" || fail "the job outlived scancel: $(cat "$D/out")"
    within 30 test "$(scope_state)" = "$before" || fail "left in Slurm's scope: $(scope_state)"
    # (the node is idle once Slurm has finished the job, which srun waits
    # for: its end first, then the node's state, which slurmctld updates
    # on its own time, slow in an emulated guest)
    within 60 gone "$srun_pid" || fail "srun outlived its job: $(cat "$D/out")"
    [ "$(sinfo -h -N -o %T)" = idle ] || within 90 test "$(sinfo -h -N -o %T)" = idle ||
        fail "the node is $(sinfo -h -N -o %T)"
}

@test "scancel ends an in-place job in a Slurm step; nothing left" {
    scancel_step "echo got TERM >> $D/log; exit 0"
    grep -q "got TERM" "$D/log" || fail "the job got no TERM: $(cat "$D/out")"
}

@test "scancel ends a supervised --rm job in a Slurm step; nothing left" {
    scancel_step "echo got TERM >> $D/log; exit 0" --rm --stats="$D/r.json"
    grep -q "got TERM" "$D/log" || fail "the job got no TERM: $(cat "$D/out")"
    grep -q "memory: peak" "$D/r.json" || fail "no report: $(cat "$D/r.json")"
}

@test "scancel ends a job that ignores TERM (--kill-after within Slurm's KillWait); nothing left" {
    scancel_step "" --kill-after 1s
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
    printf 'all:\n\t@cg=$$(sed -n "s/^0:://p" /proc/self/cgroup); echo "make in $${cg#*_slurmstepd.scope} ($$(cat /sys/fs/cgroup$$cg/cgroup.type)), the task.s memory.max $$(cat /sys/fs/cgroup$${cg%%/*}/memory.max), cpu.max $$(cat /sys/fs/cgroup$$cg/cpu.max)"\n' > "$ws/Makefile"
    srun true
    before=$(scope_state)
    # (the installed examples are root's, as a policy run as root must be)
    MCGEXEC_POLICY=$TOP/examples/ci/slurm-step.rb \
        sbatch --wait --mem=1G --chdir="$ws" --output="$ws/out" "$TOP/examples/ci/slurm-batch.sh" ||
        fail "the batch job failed: $(cat "$ws/out")"
    run cat "$ws/out"
    assert_line --regexp '^step in /system\.slice/[^/]+_slurmstepd\.scope/job_[0-9]+/step_0/user/task_0/step-0$'
    assert_line --regexp '^make in /job_[0-9]+/step_1/user/task_0/step-1 \(threaded\), the task.s memory.max 268435456, cpu.max 50000 100000$'
    wait_until test "$(scope_state)" = "$before"
    # mcgexec directly in the batch script: the same, below the batch
    # step's task cgroup, which keeps the script's shell
    cat > "$D/direct.sh" <<EOF
#!/bin/sh
"$MCGEXEC" "$TOP/examples/ci/slurm-step.rb" -- sh -c 'cg=\$(sed -n "s/^0:://p" /proc/self/cgroup); echo "in \$cg"; cat "/sys/fs/cgroup\$cg/cpu.max"'
EOF
    sbatch --wait --output="$D/direct.out" "$D/direct.sh" || fail "$(cat "$D/direct.out")"
    run cat "$D/direct.out"
    assert_line --regexp '^in /system\.slice/[^/]+_slurmstepd\.scope/job_[0-9]+/step_batch/user/task_0/step-[^/]+$'
    assert_line "50000 100000"
    wait_until test "$(scope_state)" = "$before"
}
