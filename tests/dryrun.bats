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

@test "--dry-run prints mkdir, write and attach lines and creates nothing" {
    requires_controller cpu memory
    rm -f "$BATS_TEST_TMPDIR/ran"
    run "$MCGEXEC" --dry-run -e "$(policy_code)" -- touch "$BATS_TEST_TMPDIR/ran"
    assert_success
    cpu=$(group_dir cpu)
    mem=$(group_dir memory)
    assert_line --index 0 "mkdir $cpu"
    assert_line --index 1 "write $cpu/cpu.cfs_quota_us 25000"
    assert_line --index 2 "mkdir $mem"
    assert_line --index 3 "mkdir $mem/job"
    assert_line --index 4 "write $mem/job/memory.limit_in_bytes 67108864"
    assert_line --index 5 "quota staged: 25000, exists: true"
    assert_line --index 6 --regexp "^attach $cpu [0-9]+\$"
    assert_line --index 7 --regexp "^attach $mem/job [0-9]+\$"
    assert_line --index 8 "exec touch $BATS_TEST_TMPDIR/ran"
    [ ! -e "$BATS_TEST_TMPDIR/ran" ] || fail "COMMAND ran"
    assert_no_test_groups
}

@test "--dry-run copies cpuset cpus and mems into the plan for a new cpuset group" {
    requires_controller cpuset
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
    assert_line --index 0 "mkdir $(group_dir cpu)"
    assert_line "exec true"
    assert_no_test_groups
}

@test "--dry-run without COMMAND prints the plan only; an error still fails with 125" {
    requires_controller memory
    run "$MCGEXEC" -n -e "Cgroup::MEMORY.new('$G').create"
    assert_success
    assert_line --index 0 "mkdir $(group_dir memory)"
    refute_line --partial "exec"
    run "$MCGEXEC" -n -e "m = Cgroup::MEMORY.new('$G'); m.limit_in_bytes = 'x'"
    assert_equal "$status" 125
}

@test "--verbose prints each operation on stderr as it happens" {
    requires_root
    requires_controller memory
    run "$MCGEXEC" -v -e "m = Cgroup::MEMORY.new('$G'); m.limit_in_bytes = '32M'; m.create" -- echo done
    assert_success
    assert_line --index 0 "mcgexec: mkdir $(group_dir memory)"
    assert_line --index 1 "mcgexec: write $(group_dir memory)/memory.limit_in_bytes 33554432"
    assert_line --index 2 --regexp "^mcgexec: attach $(group_dir memory) [0-9]+\$"
    assert_line --index 3 "mcgexec: exec echo"
    assert_line --index 4 "done"
}
