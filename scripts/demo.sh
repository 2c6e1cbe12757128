#!/bin/sh
# Set up, build, and run the main job: examples/ci-job.rb around a command
# that shows, from inside, the groups it is in and the limits the kernel
# holds for it.  The groups are removed afterwards.
#
# On cgroup v1 they go below this shell's own cgroups (--root self).  On
# cgroup v2 with systemd as PID 1, mcgexec asks systemd for a scope of its
# own with Delegate=yes and puts them below it (man mcgexec, SYSTEMD); the
# scope goes when the job ends.  On cgroup v2 without systemd (a container,
# say), a shell's cgroup holds the shell itself, and the kernel lets only
# groups without processes give controllers to children, so they go to the
# top of the hierarchy (ci/job-...) instead.
set -eu
cd "$(dirname "$0")/.."
scripts/setup.sh
scripts/build.sh >/dev/null

job="demo-$$"
if [ "$(stat -f -c %T /sys/fs/cgroup)" = cgroup2fs ] && [ -d /run/systemd/system ]; then
    root=""
    dirs=""
elif [ "$(stat -f -c %T /sys/fs/cgroup)" = cgroup2fs ]; then
    root=/
    dirs="/sys/fs/cgroup/ci/job-$job /sys/fs/cgroup/ci"
else
    root=self
    dirs=""
    for c in cpu memory pids; do
        own=$(awk -F: -v c="$c" '{ n = split($2, o, ","); for (i = 1; i <= n; i++) if (o[i] == c) print $3 }' /proc/self/cgroup)
        dirs="$dirs /sys/fs/cgroup/$c${own%/}/ci/job-$job /sys/fs/cgroup/$c${own%/}/ci"
    done
fi
cleanup() {
    for d in $dirs; do rmdir "$d" 2>/dev/null || true; done
}
trap cleanup EXIT

CI_JOB_ID="$job" build/mcgexec --verbose ${root:+--root "$root"} examples/ci-job.rb -- sh -c '
    echo "--- inside the job (pid $$) ---"
    cat /proc/self/cgroup
    if [ "$(stat -f -c %T /sys/fs/cgroup)" = cgroup2fs ]; then
        d=/sys/fs/cgroup$(sed -n "s/^0:://p" /proc/self/cgroup)
        echo "memory.max: $(cat "$d/memory.max")"
        echo "cpu.max: $(cat "$d/cpu.max")"
        echo "pids.max: $(cat "$d/pids.max")"
    else
        at() { awk -F: -v c="$1" "\$2 == c { print \$3 }" /proc/self/cgroup; }
        echo "memory.limit_in_bytes: $(cat /sys/fs/cgroup/memory$(at memory)/memory.limit_in_bytes)"
        echo "cpu.cfs_quota_us/period: $(cat /sys/fs/cgroup/cpu$(at cpu)/cpu.cfs_quota_us)/$(cat /sys/fs/cgroup/cpu$(at cpu)/cpu.cfs_period_us)"
        echo "pids.max: $(cat /sys/fs/cgroup/pids$(at pids)/pids.max)"
    fi
'
