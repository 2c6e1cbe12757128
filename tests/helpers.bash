# Shared helpers for the bats suite.
#
# Every test runs mcgexec with --root self (MCGEXEC_ROOT=self), so its
# groups live below the test process's own cgroup in each hierarchy, under a
# name unique to the test ($G).  teardown removes them, also when the test
# failed, after ending any process of ours still inside.  On a systemd host
# (cgroup v2) the test's cgroup is rarely delegated, and mcgexec's default
# manager refuses --root there: the suite says --manager=cgroupfs
# (MCGEXEC_MANAGER), which writes below the test's cgroup as asked; the
# systemd manager has its own tests (systemd.bats, in the systemd guest).

BATS_LIB=${BATS_LIB:-/usr/lib/bats}
load "$BATS_LIB/bats-support/load"
load "$BATS_LIB/bats-assert/load"

TOP=$(cd "$BATS_TEST_DIRNAME/.." && pwd)
MCGEXEC=${MCGEXEC:-$TOP/build/mcgexec}
CONTROLLERS="cpu cpuacct cpuset blkio memory pids"

setup() {
    G="mcgtest-$$-${BATS_TEST_NUMBER}-$RANDOM"
    CLEANUP_DIRS=()
    CLEANUP_FILES=()
    export MCGEXEC_ROOT=self
    # the runs' state (what mcgexec --gc reclaims) in the test's own
    # directory, not the machine's /run/mcgexec
    if [ "$(id -u)" -eq 0 ]; then
        export MCGEXEC_STATE_DIR="$BATS_TEST_TMPDIR/state"
    fi
    if is_v2 && [ -d /run/systemd/system ]; then
        export MCGEXEC_MANAGER=cgroupfs
    fi
    [ -x "$MCGEXEC" ] || fail "mcgexec not built at $MCGEXEC"
}

teardown() {
    common_teardown
}

# (a file with a teardown of its own calls this from it)
common_teardown() {
    remove_test_groups
    local d
    # files and directories a test made outside its own temporary
    # directory, in the order given (files before their directory)
    for d in "${CLEANUP_FILES[@]}"; do
        if [ -d "$d" ]; then rmdir "$d"; else rm -f "$d"; fi 2>/dev/null || true
    done
    # parents a test made for its groups (rmdir: only if empty)
    for d in "${CLEANUP_DIRS[@]}"; do
        rmdir "$d" 2>/dev/null || true
    done
}

# within SECONDS COMMAND...: until it succeeds, SECONDS at most; status 1
# if it never did (the caller says why)
within() {
    local n=$(($1 * 10)) i
    shift
    for i in $(seq "$n"); do
        "$@" && return 0
        sleep 0.1
    done
    return 1
}

# wait_until COMMAND...: until it succeeds (10 s at most)
wait_until() {
    within 10 "$@" || fail "waited 10 s for: $*"
}

# gone PID: has process PID ended?
gone() {
    ! kill -0 "$1" 2>/dev/null
}

# spin TENTHS FILE: shell code that spins until the shell's own CPU time
# (user, from the times builtin, written to FILE: no fork) is TENTHS
# tenths of a second.  A busy loop bounded by CPU time, not the wall
# clock, which a busy machine stretches: what it used is known.  (No
# "${": systemd expands those in the command lines it runs.)
spin() {
    echo 'while :; do times > "'"$2"'"; IFS=m. read -r m s f < "'"$2"'"; case $f in 0*) t=0 ;; 1*) t=1 ;; 2*) t=2 ;; 3*) t=3 ;; 4*) t=4 ;; 5*) t=5 ;; 6*) t=6 ;; 7*) t=7 ;; 8*) t=8 ;; *) t=9 ;; esac; [ $(( (m * 60 + s) * 10 + t )) -ge '"$1"' ] && break; i=0; while [ $i -lt 2000 ]; do i=$((i + 1)); done; done'
}

requires_root() {
    [ "$(id -u)" -eq 0 ] || skip "needs root"
}

# The unprivileged user the tests run things as, and how (util-linux setpriv).
requires_nobody() {
    id nobody >/dev/null 2>&1 || skip "no user 'nobody'"
}

requires_setpriv() {
    requires_nobody
    command -v setpriv >/dev/null || skip "setpriv is not installed"
}

as_nobody() {
    # (nobody has no runtime directory: no state of its runs is kept)
    env -u MCGEXEC_STATE_DIR -u XDG_RUNTIME_DIR \
        setpriv --reuid nobody --regid "$(id -g nobody)" --clear-groups "$@"
}

# Run mcgexec with a command that would leave a mark if it ran.
run_marked() {
    rm -f "$BATS_TEST_TMPDIR/ran"
    run "$MCGEXEC" "$@" -- touch "$BATS_TEST_TMPDIR/ran"
}

# The error contract: exit 125, one line, COMMAND not run, no group left.
assert_not_ran() {
    assert_equal "$status" 125
    [ ! -e "$BATS_TEST_TMPDIR/ran" ] || fail "COMMAND ran"
    assert_equal "${#lines[@]}" 1
    assert_no_test_groups
}

# v1 (one hierarchy per controller, hybrid hosts included) or v2 (unified).
LAYOUT=$(awk '$3 == "cgroup" { v1 = 1 } $3 == "cgroup2" { v2 = 1 }
              END { print v1 ? "v1" : v2 ? "v2" : "none" }' /proc/self/mounts)
is_v2() { [ "$LAYOUT" = v2 ]; }

# The v2 controller behind a class ("" for cpuacct: cpu.stat is always there).
v2_name() {
    case "$1" in cpuacct) echo "" ;; blkio) echo io ;; *) echo "$1" ;; esac
}

# The hierarchy holding a controller, or nothing where it is missing.
mount_of() {
    if is_v2; then
        local m n
        m=$(awk '$3 == "cgroup2" { print $2; exit }' /proc/self/mounts)
        n=$(v2_name "$1")
        [ -z "$n" ] || grep -qw "$n" "$m/cgroup.controllers" || return 0
        echo "$m"
    else
        awk -v c="$1" '$3 == "cgroup" { n = split($4, o, ","); for (i = 1; i <= n; i++) if (o[i] == c) { print $2; exit } }' /proc/self/mounts
    fi
}

requires_controller() {
    local c n
    for c in "$@"; do
        [ -n "$(mount_of "$c")" ] || skip "controller '$c' is not available"
        # v2: groups below ours get a controller only if our own cgroup can
        # enable it for them: it already does, or it is the root
        n=$(v2_name "$c")
        if is_v2 && [ -n "$n" ] && [ "$(self_dir "$c")" != "$(mount_of "$c")" ] &&
           ! grep -qw "$n" "$(self_dir "$c")/cgroup.subtree_control"; then
            skip "cgroup v2: this test's own cgroup does not enable '$n' for its children"
        fi
    done
}

# Our own cgroup directory in controller $1 (what --root self resolves to).
self_dir() {
    local m rel
    m=$(mount_of "$1") || return 1
    [ -n "$m" ] || return 1
    if is_v2; then
        rel=$(sed -n 's/^0:://p' /proc/self/cgroup)
    else
        rel=$(awk -F: -v c="$1" '{ n = split($2, o, ","); for (i = 1; i <= n; i++) if (o[i] == c) print $3 }' /proc/self/cgroup)
    fi
    echo "$m${rel%/}"
}

# Directory of test group $2 (default $G) in controller $1.
group_dir() {
    echo "$(self_dir "$1")/${2:-$G}"
}

# check_cgroup_value CTRL FILE EXPECTED [GROUP]
check_cgroup_value() {
    local got
    got=$(cat "$(group_dir "$1" "${4:-}")/$2")
    [ "$got" = "$3" ] || fail "$1/$2 is '$got', expected '$3'"
}

# The line of /proc/PID/cgroup (default self) for controller $1: "4:memory:/a"
# on v1, "0::/a" on v2.
cg_line() {
    local f=/proc/${2:-self}/cgroup
    if is_v2; then
        grep '^0::' "$f"
    else
        awk -F: -v c="$1" '{ n = split($2, o, ","); for (i = 1; i <= n; i++) if (o[i] == c) print }' "$f"
    fi
}

# The pattern a /proc/PID/cgroup line of controller $1 starts with after
# the id: "memory:" on v1, ":" on v2 (all controllers in one line).
ctl() {
    if is_v2; then echo ":"; else echo "$1:"; fi
}

# check_value CTRL V1FILE V1VALUE V2FILE V2VALUE [GROUP]: the file of this layout
check_value() {
    if is_v2; then
        check_cgroup_value "$1" "$4" "$5" "${6:-}"
    else
        check_cgroup_value "$1" "$2" "$3" "${6:-}"
    fi
}

# OOM kills in memory group $1 (default $G), from the kernel's own counter.
oom_kills() {
    local d
    d=$(group_dir memory "${1:-}")
    if is_v2; then
        awk '$1 == "oom_kill" { print $2 }' "$d/memory.events"
    else
        awk '$1 == "oom_kill" { print $2 }' "$d/memory.oom_control"
    fi
}

# A cpu.stat key of group $2 (default $G): nr_throttled, ...
cpu_stat() {
    awk -v k="$1" '$1 == k { print $2 }' "$(group_dir cpu "${2:-}")/cpu.stat"
}

# Our own cgroup directory in every controller of $CONTROLLERS, each once
# (on v2 they are all one directory): one awk, not a few processes per
# controller, because the suite also runs in an emulated guest where every
# process costs.
all_self_dirs() {
    if is_v2; then
        local m rel
        m=$(awk '$3 == "cgroup2" { print $2; exit }' /proc/self/mounts)
        rel=$(sed -n 's/^0:://p' /proc/self/cgroup)
        echo "$m${rel%/}"
    else
        awk -v want="$CONTROLLERS" '
            BEGIN { n = split(want, w, " "); for (i = 1; i <= n; i++) ok[w[i]] = 1 }
            NR == FNR { if ($3 == "cgroup") { n = split($4, o, ","); for (i = 1; i <= n; i++) if (o[i] in ok) mnt[o[i]] = $2 } next }
            { split($0, f, ":"); n = split(f[2], c, ",")
              for (i = 1; i <= n; i++) if (c[i] in mnt) { d = mnt[c[i]] f[3]; sub(/\/$/, "", d); print d } }
        ' /proc/self/mounts /proc/self/cgroup | sort -u
    fi
}

# The directories named like this test's groups, in all controllers.
test_group_dirs() {
    local dirs
    dirs=$(all_self_dirs)
    [ -n "$dirs" ] || return 0
    # shellcheck disable=SC2086
    find $dirs -mindepth 1 -maxdepth 4 -depth -type d -name "*${G}*" 2>/dev/null
}

count_test_groups() {
    test_group_dirs | wc -l
}

assert_no_test_groups() {
    local n
    n=$(count_test_groups)
    [ "$n" -eq 0 ] || fail "$n test group(s) left behind"
}

remove_test_groups() {
    local g sub pid
    # deepest first
    test_group_dirs | while read -r g; do
        find "$g" -depth -type d | while read -r sub; do
            for pid in $(cat "$sub/cgroup.procs" 2>/dev/null); do
                kill -KILL "$pid" 2>/dev/null || true   # only our test's processes live here
            done
            for _ in 1 2 3 4 5 6 7 8 9 10; do
                rmdir "$sub" 2>/dev/null && break
                [ -d "$sub" ] || break
                sleep 0.1
            done
        done
    done
}

# A policy that puts the job in memory group $G/job (64M); prints its path.
job_memory_policy() {
    policy job-memory.rb <<EOF2
m = Cgroup::MEMORY.new("$G/job")
m.limit_in_bytes = "64M"
m.create
m.attach
EOF2
}

# heavy_cpu_parent: a policy line that makes cpu group $G with the largest
# weight, the parent for a group whose quota a test needs to bind.  On a
# busy machine (scripts/load.sh) each worker weighs as much as a test's
# group, so a group of the default weight or less may never get its quota,
# and nothing is throttled; inside $G, the group is alone.
heavy_cpu_parent() {
    echo "Cgroup::CPU.new(\"$G\").tap { |p| p.shares = 262_144; p.create }"
}

# A policy that puts mcgexec (or the job) in cpu group $G; prints its path.
cpu_group_policy() {
    policy cpu-group.rb <<EOF2
c = Cgroup::CPU.new("$G")
c.create
c.attach
EOF2
}

# Write a policy file for this test from stdin; prints its path.
policy() {
    local f="$BATS_TEST_TMPDIR/${1:-policy.rb}"
    cat > "$f"
    echo "$f"
}

# MAJ:MIN of the whole disk holding $1 (throttling applies to disks).
disk_of() {
    local dev
    dev=$(findmnt -no MAJ:MIN -T "$1" | tr -d ' ')
    [ -n "$dev" ] || return 1
    if [ -e "/sys/dev/block/$dev/partition" ]; then
        dev=$(cat "/sys/dev/block/$dev/../dev")
    fi
    echo "$dev"
}

# record_peak_matches RECORD STATS: the record's memory maximum is within
# 10% of --stats' peak, and at the 90 MiB the record tests' jobs hold
record_peak_matches() {
    local peak max
    peak=$(jq -r .memory_peak_bytes "$2")
    max=$(jq -r '.series.memory_bytes | max' "$1")
    awk -v m="$max" -v p="$peak" 'BEGIN { exit !(m >= 0.9 * p && m <= 1.1 * p && m >= 90 * 2^20) }' ||
        fail "the record's maximum $max, --stats' peak $peak"
}
