#!/bin/sh
# Set up, build, and run the main job: examples/ci-job.rb around a command
# that shows, from inside, the groups it is in and the limits the kernel
# holds for it.  The groups go below this shell's own cgroups (--root self)
# and are removed afterwards.
set -eu
cd "$(dirname "$0")/.."
scripts/setup.sh
scripts/build.sh >/dev/null

job="demo-$$"
cleanup() {
    for c in cpu memory pids; do
        own=$(awk -F: -v c="$c" '{ n = split($2, o, ","); for (i = 1; i <= n; i++) if (o[i] == c) print $3 }' /proc/self/cgroup)
        dir="/sys/fs/cgroup/$c${own%/}"
        rmdir "$dir/ci/job-$job" 2>/dev/null || true
        rmdir "$dir/ci" 2>/dev/null || true
    done
}
trap cleanup EXIT

CI_JOB_ID="$job" build/mcgexec --verbose --root self examples/ci-job.rb -- sh -c '
    echo "--- inside the job (pid $$) ---"
    grep -E ":(cpu|memory|pids):" /proc/self/cgroup
    mem=$(awk -F: "\$2 == \"memory\" { print \$3 }" /proc/self/cgroup)
    cpu=$(awk -F: "\$2 == \"cpu\" { print \$3 }" /proc/self/cgroup)
    pids=$(awk -F: "\$2 == \"pids\" { print \$3 }" /proc/self/cgroup)
    echo "memory.limit_in_bytes: $(cat /sys/fs/cgroup/memory$mem/memory.limit_in_bytes)"
    echo "cpu.cfs_quota_us/period: $(cat /sys/fs/cgroup/cpu$cpu/cpu.cfs_quota_us)/$(cat /sys/fs/cgroup/cpu$cpu/cpu.cfs_period_us)"
    echo "pids.max: $(cat /sys/fs/cgroup/pids$pids/pids.max)"
'
