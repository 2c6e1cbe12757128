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
        assert_line --regexp "^[0-9]+:$c:/(.*/)?$G\$"
    done
    check_cgroup_value cpu cpu.cfs_period_us 100000
    check_cgroup_value cpu cpu.cfs_quota_us 150000
    check_cgroup_value cpuset cpuset.cpus 0
    check_cgroup_value memory memory.limit_in_bytes 1610612736
    check_cgroup_value pids pids.max 64
}

@test "a concise memory limit OOM-kills like the classic form" {
    requires_root
    requires_controller memory
    run "$MCGEXEC" -e "group '$G', memory: '16M'" -- dd if=/dev/zero of=/dev/null bs=64M count=1
    assert_equal "$status" 137
    run grep '^oom_kill ' "$(group_dir memory)/memory.oom_control"
    assert_output "oom_kill 1"
}

@test "keyword form, block with a parameter, raw files and io limits" {
    requires_root
    requires_controller cpu memory blkio
    dev=$(findmnt -no MAJ:MIN -T "$BATS_TEST_TMPDIR" | tr -d ' ')
    [ -e "/sys/dev/block/$dev/partition" ] && dev=$(cat "/sys/dev/block/$dev/../dev")
    p=$(policy <<EOF2
group "$G", cpu: "20%", memory: "256M" do |g|
  g.shares 256
  g.set "memory.swappiness", 5
  g.read_bps "$dev", "10M"
  g.write_iops "$dev", 100
end
EOF2
)
    run "$MCGEXEC" "$p" -- true
    assert_success
    check_cgroup_value cpu cpu.cfs_quota_us 20000
    check_cgroup_value cpu cpu.shares 256
    check_cgroup_value memory memory.limit_in_bytes 268435456
    check_cgroup_value memory memory.swappiness 5
    check_cgroup_value blkio blkio.throttle.read_bps_device "$dev 10485760"
    check_cgroup_value blkio blkio.throttle.write_iops_device "$dev 100"
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
    CI_JOB_ID="$G" run "$MCGEXEC" "$TOP/examples/ci-job.rb" -- cat /proc/self/cgroup
    assert_success
    assert_line --regexp "^[0-9]+:memory:/(.*/)?ci/job-$G\$"
    check_cgroup_value memory memory.limit_in_bytes $((2 << 30)) "ci/job-$G"
    check_cgroup_value pids pids.max 512 "ci/job-$G"
    check_cgroup_value cpu cpu.cfs_quota_us 150000 "ci/job-$G"
}
