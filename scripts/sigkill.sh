#!/usr/bin/env bash
# The longer run of the reclaim's test (tests/reclaim.bats): mcgexec killed
# by SIGKILL at a uniformly random instant of its life, N times (default
# 1000) for each of in place, --wait, --rm and --rm --timeout, then the
# documented reclaim (mcgexec --gc); prints for each what was left of the
# runs (groups, job processes, run files) and whether the control groups
# (one with a live process, one empty) were touched.  As root, from the
# tree's root, after scripts/build.sh:
#
#   scripts/sigkill.sh [N]
#   scripts/vm.sh --v2 -- scripts/sigkill.sh 1000        (cgroup v2)
#
# Exit status: 0 where nothing was left anywhere.
set -u
TOP=$(cd "$(dirname "$0")/.." && pwd)
n=${1:-1000}
status=0
for mode in inplace wait rm rm-timeout; do
    state=$(mktemp -d)
    MCGEXEC_STATE_DIR="$state/state" "$TOP/tests/tools/sigkill-runs.sh" "$mode" "$n" || status=1
    rm -rf "$state"
done
exit "$status"
