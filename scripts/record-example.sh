#!/bin/sh
# The README's picture (docs/record-example.svg), made by mcgexec itself:
# a job of known shape (tests/tools/jobshape.c) under a quota of half a
# CPU and 256 MiB, recorded and drawn.  Run as root after scripts/build.sh;
# the groups go below this shell's own cgroup (--root self) and are
# removed (--rm).
set -eu
cd "$(dirname "$0")/.."
out=${1:-docs/record-example.svg}
PATH=$PWD/build:$PATH
build/mcgexec --root self --rm --plot="$out" -e '
    n = Mcgexec.unique("example")
    group n, cpu: "50%", memory: "256M"
    Cgroup::CPUACCT.new(n).create' -- \
    jobshape sleep 0.5 spin 1.5 hold 200 1.5 sleep 0.5 >/dev/null
echo "record-example: wrote $out"
