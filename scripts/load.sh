#!/bin/bash
# Run COMMAND on a busy machine: while it runs, stress-ng (Debian's) keeps
# twice as many CPU workers as there are CPUs, and as many memory workers
# (each touching 32 MiB over and over) and I/O workers (each writing and
# syncing a 32 MiB file in a directory of its own) as there are CPUs:
# a load average of about four times the CPUs, what a shared CI host
# looks like.  The load ends with COMMAND, whose exit status this is.
#
#   scripts/load.sh COMMAND [ARG...]
#
# The workers are this script's own processes, in its own cgroup: on a
# cgroup v2 host that cgroup would then hold processes besides the
# suite's, which tests of mcgexec's own cgroup (--root self) rightly see;
# so on v2 the load is refused (the v1 host is where CI runs it).
set -u
[ $# -gt 0 ] || { echo "usage: $0 COMMAND [ARG...]" >&2; exit 2; }
if ! command -v stress-ng >/dev/null; then
    [ "$(id -u)" -eq 0 ] && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq stress-ng >/dev/null 2>&1
    command -v stress-ng >/dev/null || { echo "load.sh: stress-ng is not installed" >&2; exit 2; }
fi
if [ "$(stat -fc %T /sys/fs/cgroup)" = cgroup2fs ]; then
    echo "load.sh: a cgroup v2 host: the load would share the suite's own cgroup" >&2
    exit 2
fi
n=$(nproc)
dir=$(mktemp -d)
stress-ng --cpu $((2 * n)) --vm "$n" --vm-bytes 32M --hdd "$n" --hdd-bytes 32M \
    --temp-path "$dir" --timeout 0 --quiet &
load=$!
end() {
    kill -TERM "$load" 2>/dev/null
    wait "$load" 2>/dev/null
    rm -rf "$dir"
}
trap end EXIT
echo "load.sh: stress-ng (pid $load): $((2 * n)) CPU, $n memory and $n I/O workers on $n CPUs"
"$@"
status=$?
echo "load.sh: load average while it ran (1, 5, 15 min): $(cut -d' ' -f1-3 /proc/loadavg)"
exit "$status"
