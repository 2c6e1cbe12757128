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
# The workers are this script's own processes, in its own cgroups (in v1's
# cpu hierarchy, one it makes: below).  On a cgroup v2 host that cgroup
# would then hold processes besides the suite's, which tests of mcgexec's
# own cgroup (--root self) rightly see; so on v2 the load is refused (the
# v1 host is where CI runs it).
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

# The workers and COMMAND share one cpu cgroup made for the run, below this
# script's own.  A CI runner lives in a service's cgroup, where each worker
# weighs as much as a group a test makes (one at half the default weight
# gets a fifth of a CPU at most: seen in CI).  Where this script's cpu
# cgroup is the hierarchy's root, the kernel's autogroups would instead
# weigh the whole session as one task against each such group, a far
# lighter load; the group of our own makes the load the same on both.
# (Root only, where the cpu controller has a v1 hierarchy; the script never
# writes to a cgroup it did not make: its processes go into the new group
# from subshells, and it leaves the group only by ending.)
grp=""
if [ "$(id -u)" -eq 0 ]; then
    mnt=$(awk '$0 ~ / - cgroup / { n = split($NF, o, ",")
                                   for (i = 1; i <= n; i++) if (o[i] == "cpu") print $5 }' \
              /proc/self/mountinfo | head -n 1)
    rel=$(awk -F: '{ n = split($2, c, ",")
                     for (i = 1; i <= n; i++) if (c[i] == "cpu") print $3 }' /proc/self/cgroup)
    if [ -n "$mnt" ] && [ -n "$rel" ]; then
        grp="$mnt${rel%/}/mcgload-$$"
        mkdir "$grp" || grp=""
    fi
fi
inside() { # COMMAND...: exec it in the load's cpu group (from a subshell)
    [ -z "$grp" ] || echo "$BASHPID" > "$grp/cgroup.procs" || exit 2
    exec "$@"
}

(inside stress-ng --cpu $((2 * n)) --vm "$n" --vm-bytes 32M --hdd "$n" --hdd-bytes 32M \
    --temp-path "$dir" --timeout 0 --quiet) &
load=$!
end() {
    kill -TERM "$load" 2>/dev/null
    wait "$load" 2>/dev/null
    rm -rf "$dir"
    # (empty once stress-ng has reaped its workers and COMMAND has ended,
    # unless COMMAND left a process behind: that is named)
    if [ -n "$grp" ] && ! rmdir "$grp" 2>/dev/null; then
        echo "load.sh: $grp not removed: it holds $(tr '\n' ' ' < "$grp/cgroup.procs")" >&2
    fi
}
trap end EXIT
echo "load.sh: stress-ng (pid $load): $((2 * n)) CPU, $n memory and $n I/O workers on $n CPUs${grp:+, with COMMAND in cpu group $grp}"
(inside "$@")
status=$?
echo "load.sh: load average while it ran (1, 5, 15 min): $(cut -d' ' -f1-3 /proc/loadavg)"
exit "$status"
