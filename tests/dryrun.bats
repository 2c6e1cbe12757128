#!/usr/bin/env bats
# --dry-run prints the plan, touches nothing, runs nothing.

load helpers

policy_code() {
    cat <<EOF2
c = Cgroup::CPU.new("$G")
c.cfs_quota_us = 25000
c.create
m = Cgroup::MEMORY.new("$G/job")
m.limit_in_bytes = "64M"
m.create
puts "quota staged: #{c.cfs_quota_us}, exists: #{m.exist?}"
EOF2
}

# The manager the suite runs with --root self (tests/helpers.bash), and why.
manager_line() {
    if ! is_v2; then
        echo "# manager: cgroupfs (auto: the host runs cgroup v1)"
    elif [ ! -d /run/systemd/system ]; then
        echo "# manager: cgroupfs (auto: systemd does not run this host)"
    else
        echo "# manager: cgroupfs (--manager=cgroupfs)"   # (helpers.bash)
    fi
}

@test "--dry-run prints mkdir, write and attach lines and creates nothing" {
    requires_controller cpu memory
    rm -f "$BATS_TEST_TMPDIR/ran"
    run "$MCGEXEC" --dry-run -e "$(policy_code)" -- touch "$BATS_TEST_TMPDIR/ran"
    assert_success
    cpu=$(group_dir cpu)
    mem=$(group_dir memory)
    if is_v2; then
        # one hierarchy: controllers enabled top-down, one directory, one attach
        top=$(self_dir cpu)
        plan=("# cgroup layout: v2 (unified)" "$(manager_line)")
        grep -qw cpu "$top/cgroup.subtree_control" || plan+=("write $top/cgroup.subtree_control +cpu")
        plan+=("mkdir $cpu" "write $cpu/cpu.max 25000")
        grep -qw memory "$top/cgroup.subtree_control" || plan+=("write $top/cgroup.subtree_control +memory")
        plan+=("write $cpu/cgroup.subtree_control +memory" "mkdir $mem/job"
               "write $mem/job/memory.max 67108864" "quota staged: 25000, exists: true")
        plan+=("attach $mem/job PID")
    else
        plan=("# cgroup layout: $(awk '$3 == "cgroup2" { h = 1 } END { print h ? "v1 (hybrid)" : "v1" }' /proc/self/mounts)"
              "$(manager_line)"
              "mkdir $cpu" "write $cpu/cpu.cfs_quota_us 25000" "mkdir $mem" "mkdir $mem/job"
              "write $mem/job/memory.limit_in_bytes 67108864" "quota staged: 25000, exists: true"
              "attach $cpu PID" "attach $mem/job PID")
    fi
    plan+=("exec touch $BATS_TEST_TMPDIR/ran")
    assert_equal "$(sed 's/^\(attach .*\) [0-9][0-9]*$/\1 PID/' <<< "$output")" "$(printf '%s\n' "${plan[@]}")"
    [ ! -e "$BATS_TEST_TMPDIR/ran" ] || fail "COMMAND ran"
    assert_no_test_groups
}

@test "--dry-run copies cpuset cpus and mems into the plan for a new cpuset group" {
    requires_controller cpuset
    is_v2 && skip "v2 cpusets inherit by themselves"
    run "$MCGEXEC" -n -e "Cgroup::CPUSET.new('$G').create" -- true
    assert_success
    assert_line "write $(group_dir cpuset)/cpuset.cpus $(cat "$(self_dir cpuset)/cpuset.cpus")"
    assert_line "write $(group_dir cpuset)/cpuset.mems $(cat "$(self_dir cpuset)/cpuset.mems")"
    assert_no_test_groups
}

@test "--dry-run works as an unprivileged user" {
    requires_root
    requires_controller cpu memory
    command -v setpriv >/dev/null || skip "no setpriv"
    setpriv --reuid=65534 --regid=65534 --clear-groups test -x "$MCGEXEC" ||
        skip "nobody cannot reach $MCGEXEC"
    run setpriv --reuid=65534 --regid=65534 --clear-groups "$MCGEXEC" -n -e "$(policy_code)" -- true
    assert_success
    assert_line "mkdir $(group_dir cpu)"
    assert_line "exec true"
    assert_no_test_groups
}

@test "--dry-run without COMMAND prints the plan only; an error still fails with 125" {
    requires_controller memory
    run "$MCGEXEC" -n -e "Cgroup::MEMORY.new('$G').create"
    assert_success
    assert_line "mkdir $(group_dir memory)"
    refute_line --partial "exec"
    run "$MCGEXEC" -n -e "m = Cgroup::MEMORY.new('$G'); m.limit_in_bytes = 'x'"
    assert_equal "$status" 125
}

@test "--verbose prints each operation on stderr as it happens" {
    requires_root
    requires_controller memory
    run "$MCGEXEC" -v -e "m = Cgroup::MEMORY.new('$G'); m.limit_in_bytes = '32M'; m.create" -- echo done
    assert_success
    assert_line --index 0 --regexp "^mcgexec: cgroup layout: v[12]"
    assert_line --index 1 "mcgexec: $(manager_line | cut -c3-)"
    assert_line "mcgexec: mkdir $(group_dir memory)"
    if is_v2; then f=memory.max; else f=memory.limit_in_bytes; fi
    assert_line "mcgexec: write $(group_dir memory)/$f 33554432"
    assert_line --regexp "^mcgexec: attach $(group_dir memory) [0-9]+\$"
    assert_line "mcgexec: exec echo"
    assert_line "done"
}

@test "--slice where the manager makes no scope: the plan says it is not used" {
    requires_controller pids
    run "$MCGEXEC" -n --slice batch.slice -e "group '$G', pids: 8" -- true
    assert_success
    assert_line --index 1 "$(manager_line)"
    assert_line --index 2 "# --slice batch.slice: not used: the cgroupfs manager asks systemd for no scope"
}

@test "--dry-run by a user who could not do the run: the plan says where it would be refused, still 0" {
    requires_root
    requires_setpriv
    requires_controller memory
    local dir
    dir=$(self_dir memory)
    local places=1 first="mkdir $dir/$G: Permission denied"
    if ! is_v2 || [ ! -d /run/systemd/system ]; then
        # first, no manager that delegates cgroups to a user
        places=2
        first="uid $(id -u nobody) has no cgroups of its own on this cgroup"
    fi
    run as_nobody "$MCGEXEC" -n -e "group '$G', memory: '64M'" -- true
    assert_success
    assert_line "mkdir $dir/$G"
    assert_line "#   would be refused: making groups in $dir: Permission denied"
    [ "$places" = 1 ] || assert_line --regexp "^#   would be refused: uid [0-9]+ has no cgroups of its own on this cgroup "
    assert_line "# uid $(id -u nobody) would be refused in $places place$([ "$places" = 1 ] || echo s) above: the real run would stop at the first (run it as root, or in a cgroup delegated to this user)"
    assert_no_test_groups
    # the real run, as that user, does stop there: with --manager=cgroupfs
    # (groups an administrator made the user's), at the mkdir
    run as_nobody "$MCGEXEC" -e "group '$G', memory: '64M'" -- true
    assert_equal "$status" 125
    assert_output --partial "$first"
    assert_equal "${#lines[@]}" 1
    run as_nobody "$MCGEXEC" --manager=cgroupfs -e "group '$G', memory: '64M'" -- true
    assert_equal "$status" 125
    assert_output --partial "mkdir $dir/$G: Permission denied"
    # root's plan has no such line
    run "$MCGEXEC" -n -e "group '$G', memory: '64M'" -- true
    refute_output --partial "would be refused"
}
