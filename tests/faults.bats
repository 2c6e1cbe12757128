#!/usr/bin/env bats
# Faults, each provoked for real: one clear line, exit 125, COMMAND not
# run, nothing this run created left behind.  Mount changes happen only in
# a private mount namespace (unshare -m), so the host never sees them.

load helpers

requires_unshare() {
    command -v unshare >/dev/null || skip "unshare is not installed"
    unshare -m --propagation private true 2>/dev/null || skip "cannot make a mount namespace here"
}

# in_private_ns SCRIPT ARGS...: run sh -c SCRIPT in a private mount namespace
in_private_ns() {
    unshare -m --propagation private sh -c "$@"
}

@test "a controller that is not mounted: named, and the groups made before it removed" {
    requires_root
    requires_unshare
    is_v2 && skip "cgroup v1: one hierarchy is unmounted"
    requires_controller cpu pids
    p=$(policy <<EOF2
c = Cgroup::CPU.new("$G")
c.cfs_quota_us = 50000
c.create
c.attach
p = Cgroup::PIDS.new("$G")
p.max = 10
p.create
EOF2
)
    rm -f "$BATS_TEST_TMPDIR/ran"
    run in_private_ns 'umount -l "$1" && shift && exec "$@"' sh "$(mount_of pids)" \
        "$MCGEXEC" "$p" -- touch "$BATS_TEST_TMPDIR/ran"
    assert_output "mcgexec: controller 'pids' is not mounted on this host"
    assert_not_ran
}

@test "a read-only cgroup filesystem (EROFS): the mkdir named, other groups removed" {
    requires_root
    requires_unshare
    requires_controller cpu memory
    m=$(mount_of memory)
    p=$(policy <<EOF2
c = Cgroup::CPU.new("$G")
c.cfs_quota_us = 50000
c.create
c.attach
m = Cgroup::MEMORY.new("$G")
m.limit_in_bytes = "64M"
m.create
m.attach
EOF2
)
    rm -f "$BATS_TEST_TMPDIR/ran"
    # a read-only bind mount over the memory hierarchy (per-mount flag: the
    # filesystem itself stays writable for everybody else)
    run in_private_ns 'mount --bind "$1" "$1" && mount -o remount,bind,ro "$1" && shift && exec "$@"' \
        sh "$m" "$MCGEXEC" "$p" -- touch "$BATS_TEST_TMPDIR/ran"
    # the line says what would make it writable
    local why=" \(the cgroup filesystem( at [^ ]+)? is mounted read-only, as in an unprivileged container or a Kubernetes pod: the container needs it read-write, as a privileged one has it\)"
    if is_v2; then
        # one hierarchy: the first mkdir already fails
        assert_output --regexp "^mcgexec: $p:3: .*: Read-only file system$why\$"
    else
        assert_output --regexp "^mcgexec: $p:7: mkdir $(group_dir memory): Read-only file system$why\$"
    fi
    assert_not_ran
    [ -w "$m" ] || fail "the host's $m became read-only"
}

# A policy that creates cpuset group $G with its cpus emptied, where v1
# takes no tasks (ENOSPC); $1, if given, is one more line (s.attach).
empty_cpuset_policy() {
    policy <<EOF2
s = Cgroup::CPUSET.new("$G")
s.cpus = ""
s.create
${1:-}
EOF2
}

@test "a cpuset without cpus (ENOSPC): explained, group removed" {
    requires_root
    is_v2 && skip "cgroup v1: on v2 an empty cpuset.cpus inherits the parent's"
    requires_controller cpuset
    p=$(empty_cpuset_policy s.attach)
    run_marked "$p"
    assert_output --regexp "^mcgexec: $p:[0-9]+: .*(No space left on device: the group's cpuset.cpus or cpuset.mems is empty|cpuset.cpus = \"\": ).*"
    assert_not_ran
}

@test "a join that fails after the policy, in place or in COMMAND's process (--rm): explained, removed" {
    requires_root
    is_v2 && skip "cgroup v1: on v2 an empty cpuset.cpus inherits the parent's"
    requires_controller cpuset
    p=$(empty_cpuset_policy)
    for mode in "" --rm --wait; do
        run_marked $mode "$p"
        assert_output --regexp "^mcgexec: attach pid [0-9]+ to .*/$G: No space left on device: the group's cpuset.cpus or cpuset.mems is empty"
        assert_not_ran
    done
}

@test "a group that cannot be removed (EBUSY): named with the reason, all removed" {
    requires_root
    requires_controller cpu
    p=$(policy <<EOF2
top = Cgroup::CPU.new("$G")
top.create
sub = Cgroup::CPU.new("$G/sub")
sub.create
top.delete
EOF2
)
    run_marked "$p"
    assert_output "mcgexec: $p:5: delete $(group_dir cpu): Device or resource busy: it has child groups (delete those first)"
    assert_not_ran
}

@test "a policy file that is missing, a directory, or unreadable" {
    run_marked "$BATS_TEST_TMPDIR/nope.rb"
    assert_output "mcgexec: cannot read policy $BATS_TEST_TMPDIR/nope.rb: No such file or directory"
    assert_not_ran
    mkdir "$BATS_TEST_TMPDIR/dir.rb"
    run_marked "$BATS_TEST_TMPDIR/dir.rb"
    assert_output "mcgexec: cannot read policy $BATS_TEST_TMPDIR/dir.rb: Is a directory"
    assert_not_ran
    # root reads any file: an unreadable one needs an unprivileged caller
    if [ "$(id -u)" -eq 0 ]; then
        requires_setpriv
        d=$(mktemp -d /tmp/mcgexec-unreadable.XXXXXX)
        chmod 755 "$d"
        printf 'p 1\n' > "$d/p.rb"
        chmod 000 "$d/p.rb"
        run as_nobody \
            "$MCGEXEC" "$d/p.rb" -- true
        rm -rf "$d"
        assert_equal "$status" 125
        assert_output "mcgexec: cannot read policy $d/p.rb: Permission denied"
    fi
}

# A policy that joins a group and then never returns; started in the
# background; prints nothing until the signal.
start_hanging_policy() {
    p=$(policy <<EOF2
c = Cgroup::CPU.new("$G")
c.create
c.attach
m = Cgroup::MEMORY.new("$G")
m.limit_in_bytes = "64M"
m.create
m.attach
loop { }
EOF2
)
    rm -f "$BATS_TEST_TMPDIR/ran"
    # a background job starts with SIGINT and SIGQUIT ignored (and under
    # nohup, SIGHUP): undo that, as a terminal's foreground job would have them
    env --default-signal=INT,QUIT,HUP "$MCGEXEC" "$p" -- touch "$BATS_TEST_TMPDIR/ran" \
        2> "$BATS_TEST_TMPDIR/err" &
    pid=$!
    for _ in $(seq 100); do
        grep -qx "$pid" "$(group_dir memory)/cgroup.procs" 2>/dev/null && return 0
        sleep 0.05
    done
    kill -KILL "$pid"
    fail "the policy did not join its groups"
}

# wait_bounded PID: its exit status in $status; fails (after SIGKILL) if it
# is still running 10 s later, as it would be had the signal been ignored
wait_bounded() {
    local i
    for i in $(seq 200); do
        kill -0 "$1" 2>/dev/null || break
        sleep 0.05
    done
    if kill -0 "$1" 2>/dev/null; then
        grep -E '^(State|Sig)' "/proc/$1/status"
        cat "$BATS_TEST_TMPDIR/err" 2>/dev/null
        kill -KILL "$1"
        wait "$1" || true
        fail "mcgexec did not end on the signal"
    fi
    status=0
    wait "$1" || status=$?
}

@test "a policy that loops forever: SIGTERM removes its groups and ends mcgexec by SIGTERM" {
    requires_root
    requires_controller cpu memory
    start_hanging_policy
    kill -TERM "$pid"
    wait_bounded "$pid"
    assert_equal "$status" 143
    assert_equal "$(cat "$BATS_TEST_TMPDIR/err")" \
        "mcgexec: SIGTERM before COMMAND started: removed what this run had created; COMMAND not run"
    [ ! -e "$BATS_TEST_TMPDIR/ran" ]
    assert_no_test_groups
}

@test "a policy that loops forever: SIGINT (Ctrl-C), SIGHUP and SIGQUIT do the same" {
    requires_root
    requires_controller cpu memory
    for sig in INT HUP QUIT; do
        start_hanging_policy
        kill -"$sig" "$pid"
        wait_bounded "$pid"
        assert_equal "$status" $((128 + $(kill -l "$sig")))
        grep -q "^mcgexec: SIG$sig before COMMAND started" "$BATS_TEST_TMPDIR/err"
        assert_no_test_groups
    done
}

@test "a crash signal (SEGV, BUS, ABRT, FPE, ILL) while a policy runs: groups removed, death by that signal" {
    requires_root
    requires_controller cpu memory
    for sig in SEGV BUS ABRT FPE ILL; do
        # no core file in the test's directory
        ulimit -c 0
        start_hanging_policy
        kill -"$sig" "$pid"
        wait_bounded "$pid"
        assert_equal "$status" $((128 + $(kill -l "$sig")))
        assert_equal "$(cat "$BATS_TEST_TMPDIR/err")" \
            "mcgexec: SIG$sig before COMMAND started: removed what this run had created; COMMAND not run"
        [ ! -e "$BATS_TEST_TMPDIR/ran" ]
        assert_no_test_groups
    done
}

@test "a signal the caller ignores stays ignored, for the policy and for COMMAND" {
    requires_root
    requires_controller cpu
    p=$(cpu_group_policy)
    # SIGHUP ignored (nohup): COMMAND must see it ignored too
    run sh -c 'trap "" HUP; exec "$@"' sh "$MCGEXEC" "$p" -- sh -c 'kill -HUP $$; echo survived'
    assert_success
    assert_output survived
}

# Faults while the job runs: one line, the job's status kept, nothing left
# that mcgexec can remove.

@test "the job's group removed by someone else while the job runs (its processes moved out): one line, status kept, nothing left" {
    requires_root
    requires_controller memory
    d=$BATS_TEST_TMPDIR
    mkfifo "$d/go"
    p=$(job_memory_policy)
    "$MCGEXEC" --rm --stats "$p" -- sh -c "echo ready > $d/ready; read x < $d/go; exit 4" > "$d/out" 2>&1 3>&- &
    sup=$!
    wait_until test -s "$d/ready"
    job=$(group_dir memory "$G/job")
    for pid in $(cat "$job/cgroup.procs"); do echo "$pid" > "$(self_dir memory)/cgroup.procs"; done
    rmdir "$job" "$(group_dir memory)"
    echo go > "$d/go"
    st=0
    wait "$sup" || st=$?
    cat "$d/out"
    [ "$st" -eq 4 ]
    grep -qxF "mcgexec: warning: the job's group $job was removed while the job ran (not by mcgexec): what the job used there is not known" "$d/out"
    [ "$(grep -c '^mcgexec: warning' "$d/out")" -eq 1 ]
    assert_no_test_groups
    [ -z "$(ls "$MCGEXEC_STATE_DIR"/*.run 2>/dev/null)" ]
}

@test "the state directory full (/run full): one warning, the run goes on, nothing left" {
    requires_root
    requires_unshare
    requires_controller cpu
    p=$(cpu_group_policy)
    mkdir "$BATS_TEST_TMPDIR/run"
    run in_private_ns 'mount -t tmpfs -o size=4k,mode=0700 tmpfs "$1" &&
                       { dd if=/dev/zero of="$1/fill" bs=4k count=4 2>/dev/null; true; } &&
                       MCGEXEC_STATE_DIR="$1/mcgexec" exec "$2" --rm "$3" -- echo ran' \
        sh "$BATS_TEST_TMPDIR/run" "$MCGEXEC" "$p"
    assert_success
    assert_line --index 0 --regexp "^mcgexec: warning: cannot keep this run's state \(.*: No space left on device\): were mcgexec killed by SIGKILL, nothing would remove its groups\$"
    assert_line --index 1 ran
    assert_equal "${#lines[@]}" 2
    assert_no_test_groups
}

@test "the cgroup filesystem remounted read-only while the job runs: one line, status kept; mcgexec --gc removes the groups once it is writable" {
    requires_root
    requires_unshare
    requires_controller memory
    is_v2 && skip "cgroup v1: one hierarchy is remounted (v2's one mount is the suite's own)"
    m=$(mount_of memory)
    d=$BATS_TEST_TMPDIR
    mkfifo "$d/go"
    p=$(job_memory_policy)
    # in a private mount namespace: a bind mount of the memory hierarchy,
    # remounted read-only once the job runs (the host's stays writable)
    run in_private_ns 'mount --bind "$1" "$1" || exit 99
                       "$2" --rm "$3" -- sh -c "echo ready > $4/ready; read x < $4/go; exit 4" 3>&- &
                       sup=$!
                       for _ in $(seq 100); do [ -s "$4/ready" ] && break; sleep 0.1; done
                       mount -o remount,bind,ro "$1" || exit 98
                       echo go > "$4/go"
                       wait $sup' sh "$m" "$MCGEXEC" "$p" "$d"
    assert_equal "$status" 4
    assert_output "mcgexec: warning: cannot remove $(group_dir memory "$G/job") (nor the groups above it): the cgroup filesystem is read-only (remounted?); mcgexec --gc removes them once it is writable"
    [ -d "$(group_dir memory "$G/job")" ]
    run "$MCGEXEC" --gc
    assert_success
    assert_output --partial "removed 2 groups"
    assert_no_test_groups
}
