# Run inside the container that tests/systemd.bats boots with systemd as
# PID 1, as its unit ctr-inner.service; prints what the test checks.
set -u
# from a scope (a login's shape), supervised, with --rm
systemd-run --scope --quiet "$MCGEXEC" -v --rm --wait \
    -e "group 'job', memory: '64M', pids: 20" -- \
    sh -c 'cg=$(sed -n "s/^0:://p" /proc/self/cgroup); echo "job at $cg"
           echo "memory.max $(cat /sys/fs/cgroup$cg/memory.max)"
           echo "pids.max $(cat /sys/fs/cgroup$cg/pids.max)"' 2>&1
echo "scope status $?"
# a job of this service, which has no Delegate=yes (a runner's shape): a
# scope of its own, bound to the service
"$MCGEXEC" -v -e "group 'job', memory: '64M'" -- \
    sh -c 'echo "runner job at $(sed -n "s/^0:://p" /proc/self/cgroup)"' 2>&1 |
    grep -E '^runner job at |StartTransientUnit'
# a unit's own program without Delegate=yes: refused
out=$(systemd-run --quiet --wait --pipe "$MCGEXEC" -e "group 'job', memory: '64M'" -- true 2>&1)
echo "refused status $?"
echo "refused: $out"
left=$(find /sys/fs/cgroup -name 'mcgexec-*' -o -name job | tr '\n' ' ')
echo "leftovers: ${left:-none}"
