#!/usr/bin/env bats
# The concise form: group NAME do ... end

load helpers

@test "one block sets cpu percentage, cpus, memory and pids; the kernel has them" {
    requires_root
    requires_controller cpu cpuset memory pids
    p=$(policy <<EOF2
group "$G" do
  cpu    "150%"
  cpus   "0"
  memory "1.5G"
  pids   64
end
EOF2
)
    run "$MCGEXEC" "$p" -- cat /proc/self/cgroup
    assert_success
    for c in cpu cpuset memory pids; do
        is_v2 && c=""
        assert_line --regexp "^[0-9]+:$c:/(.*/)?$G\$"
    done
    check_value cpu cpu.cfs_period_us 100000 cpu.max "150000 100000"
    check_value cpu cpu.cfs_quota_us 150000 cpu.max "150000 100000"
    check_cgroup_value cpuset cpuset.cpus 0
    check_value memory memory.limit_in_bytes 1610612736 memory.max 1610612736
    check_cgroup_value pids pids.max 64
}

@test "a concise memory limit OOM-kills like the classic form" {
    requires_root
    requires_controller memory
    run "$MCGEXEC" -e "group '$G', memory: '16M'" -- dd if=/dev/zero of=/dev/null bs=64M count=1
    assert_equal "$status" 137
    assert_equal "$(oom_kills)" 1
}

@test "keyword form, block with a parameter, raw files and io limits" {
    requires_root
    requires_controller cpu memory blkio
    if [ -n "${MCGEXEC_TEST_BLOCKDEV:-}" ]; then
        dev=$(printf '%d:%d' "0x$(stat -c %t "$MCGEXEC_TEST_BLOCKDEV")" "0x$(stat -c %T "$MCGEXEC_TEST_BLOCKDEV")")
    else
        dev=$(findmnt -no MAJ:MIN -T "$BATS_TEST_TMPDIR" | tr -d ' ')
        [ -e "/sys/dev/block/$dev/partition" ] && dev=$(cat "/sys/dev/block/$dev/../dev")
        case "$dev" in 0:*) skip "not on a block device" ;; esac
    fi
    if is_v2; then raw='"memory.high", "200M"'; else raw='"memory.swappiness", 5'; fi
    p=$(policy <<EOF2
group "$G", cpu: "20%", memory: "256M" do |g|
  g.shares 256
  g.set $raw
  g.read_bps "$dev", "10M"
  g.write_iops "$dev", 100
end
EOF2
)
    run "$MCGEXEC" "$p" -- true
    assert_success
    check_value cpu cpu.cfs_quota_us 20000 cpu.max "20000 100000"
    check_value cpu cpu.shares 256 cpu.weight 35
    check_value memory memory.limit_in_bytes 268435456 memory.max 268435456
    check_value memory memory.swappiness 5 memory.high 209715200
    check_value blkio blkio.throttle.read_bps_device "$dev 10485760" \
        io.max "$dev rbps=10485760 wbps=max riops=max wiops=100"
    is_v2 || check_cgroup_value blkio blkio.throttle.write_iops_device "$dev 100"
}

@test "errors in a block point at the line inside the block" {
    requires_controller cpu memory
    p=$(policy <<EOF2
group "$G" do
  memory "2G"
  cpu "fast"
end
EOF2
)
    run "$MCGEXEC" "$p" -- true
    assert_equal "$status" 125
    assert_output "mcgexec: $p:3: cpu = \"fast\": invalid CPU share (use a percentage of one CPU such as \"150%\")"
    assert_no_test_groups
    p=$(policy <<EOF2
group "$G" do
  memroy "2G"
end
EOF2
)
    run "$MCGEXEC" "$p" -- true
    assert_equal "$status" 125
    assert_output --regexp "^mcgexec: $p:2: unknown limit 'memroy' in group \"$G\" \(known: cpu, .*\) \(NoMethodError\)\$"
    run "$MCGEXEC" -e "group '$G', mem: '1G'" -- true
    assert_equal "$status" 125
    assert_output --regexp "^mcgexec: -e:1: unknown limit 'mem'"
    assert_no_test_groups
}

@test "examples/ci-job.rb runs a job with cpu, memory and pids limits" {
    requires_root
    requires_controller cpu memory pids
    for c in cpu memory pids; do
        [ -d "$(group_dir $c ci)" ] || CLEANUP_DIRS+=("$(group_dir $c ci)")
    done
    # a copy: as root, mcgexec would refuse the checkout's file if a
    # directory above it were writable by others (tests/security.bats)
    cp "$TOP/examples/ci-job.rb" "$BATS_TEST_TMPDIR/ci-job.rb"
    CI_JOB_ID="$G" run "$MCGEXEC" "$BATS_TEST_TMPDIR/ci-job.rb" -- cat /proc/self/cgroup
    assert_success
    assert_line --regexp "^[0-9]+:$(is_v2 || echo memory):/(.*/)?ci/job-$G\$"
    check_value memory memory.limit_in_bytes $((2 << 30)) memory.max $((2 << 30)) "ci/job-$G"
    check_cgroup_value pids pids.max 512 "ci/job-$G"
    check_value cpu cpu.cfs_quota_us 150000 cpu.max "150000 100000" "ci/job-$G"
}
