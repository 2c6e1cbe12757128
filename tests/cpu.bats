#!/usr/bin/env bats
# cpu, cpuacct and cpuset: the scheduler's view of the command.

load helpers

# busy TENTHS: spin for TENTHS tenths of a second of CPU time (helpers.bash)
busy() { spin "$1" "$BATS_TEST_TMPDIR/times"; }

@test "a 10% cfs quota throttles a busy loop (cpu.stat nr_throttled)" {
    requires_root
    requires_controller cpu
    # (in a parent that outweighs a busy machine's workers: helpers.bash)
    p=$(policy <<EOF2
$(heavy_cpu_parent)
c = Cgroup::CPU.new("$G/quota")
c.cfs_period_us = 100000
c.cfs_quota_us = 10000
c.create
EOF2
)
    # (0.2 s of CPU at 10 ms a period: 20 periods at least, each throttled)
    run "$MCGEXEC" "$p" -- sh -c "$(busy 2)"
    assert_success
    check_value cpu cpu.cfs_quota_us 10000 cpu.max "10000 100000" "$G/quota"
    throttled=$(cpu_stat nr_throttled "$G/quota")
    [ "$throttled" -gt 5 ] || fail "nr_throttled is $throttled"
}

@test "cpuacct usage grows with the command's CPU time" {
    requires_root
    requires_controller cpu cpuacct
    p=$(policy <<EOF2
c = Cgroup::CPU.new("$G")
c.cfs_quota_us = 20000
c.create
a = c.cpuacct
a.create
raise "cpuacct class" unless a.is_a?(Cgroup::CPUACCT) && a.group_name == "$G"
EOF2
)
    run "$MCGEXEC" "$p" -- sh -c "$(busy 3)"
    assert_success
    if is_v2; then
        usage=$(( $(cpu_stat usage_usec) * 1000 ))
    else
        usage=$(cat "$(group_dir cpuacct)/cpuacct.usage")
    fi
    # the shell's own 0.3 s of CPU (counted in ticks by times, sampled: a
    # few either way), and its start (a tenth or two in an emulated guest)
    [ "$usage" -ge 250000000 ] || fail "cpuacct.usage only $usage ns"
    [ "$usage" -lt 1000000000 ] || fail "cpuacct.usage $usage ns, for 0.3 s of CPU"
}

@test "cpuacct readings and reset from a policy" {
    requires_root
    requires_controller cpuacct
    run "$MCGEXEC" -e "a = Cgroup::CPUACCT.new('$G'); a.create; a.attach
x = 0; 300000.times { x += 1 }
u = a.usage
raise 'no usage' unless u > 0
raise 'stat' unless a.stat.include?('user') && a.stat.include?('system')
if Mcgexec.cgroup_version == 2
  begin; a.usage_percpu; raise 'usage_percpu on v2'; rescue Cgroup::Error => e; puts e.message; end
  begin; a.usage = 0; raise 'reset on v2'; rescue Cgroup::Error => e; puts e.message; end
else
  raise 'usage_percpu' unless a.usage_percpu.split.size >= 1
  a.usage = 0
  a.modify
  raise 'reset' unless a.usage < u
end
puts 'ok'" -- true
    assert_success
    assert_line "ok"
    if is_v2; then
        assert_line "cpuacct.usage_percpu has no cgroup v2 equivalent"
        assert_line "cpuacct.usage cannot be reset on cgroup v2 (cpu.stat usage_usec only grows)"
    fi
}

@test "cpu shares and rt settings are written and read back" {
    requires_root
    requires_controller cpu
    run "$MCGEXEC" -e "c = Cgroup::CPU.new('$G'); c.shares = 512; c.create; p c.shares; p c.cfs_period_us
begin; p c.rt_period_us.is_a?(Integer); rescue Cgroup::Error => e; puts e.message; end
p c.stat.include?('nr_periods')" -- true
    assert_success
    assert_equal "${lines[0]}" 512
    assert_equal "${lines[1]}" 100000
    if is_v2; then
        assert_equal "${lines[2]}" "cpu.rt_period_us has no cgroup v2 equivalent"
    elif [ -e "$(self_dir cpu)/cpu.rt_period_us" ]; then
        assert_equal "${lines[2]}" true
    else
        # a kernel without CONFIG_RT_GROUP_SCHED (Debian's): the error says so
        assert_equal "${lines[2]}" "read $(group_dir cpu)/cpu.rt_period_us: No such file or directory"
    fi
    assert_equal "${lines[3]}" true
    # 512 shares are weight 59 on v2 (the crun/runc mapping), and read back as 512
    check_value cpu cpu.shares 512 cpu.weight 59
}

@test "a cpuset pins the command (Cpus_allowed_list)" {
    requires_root
    requires_controller cpuset
    [ "$(nproc --all)" -ge 2 ] || skip "needs two CPUs"
    run "$MCGEXEC" -e "s = Cgroup::CPUSET.new('$G'); s.cpus = '1'; s.mems = '0'; s.create" -- \
        grep Cpus_allowed_list /proc/self/status
    assert_success
    assert_output --regexp "^Cpus_allowed_list:[[:space:]]+1$"
}

@test "a cpu list longer than a page reaches the kernel whole" {
    requires_root
    requires_controller cpuset
    [ "$(nproc --all)" -ge 2 ] || skip "needs two CPUs"
    # 5001 characters whose last CPU is 1: a cut at 4 KiB leaves CPU 0 alone
    run "$MCGEXEC" -e "s = Cgroup::CPUSET.new('$G'); s.cpus = '0,' * 2500 + '1'; s.mems = '0'; s.create" -- \
        grep Cpus_allowed_list /proc/self/status
    # the kernel takes 100 + 6 * NR_CPUS bytes: 8192 CPUs in Debian's kernels
    [[ "$output" != *"Argument list too long" ]] || skip "this kernel takes shorter cpu lists"
    assert_success
    assert_output --regexp "^Cpus_allowed_list:[[:space:]]+0-1$"
}

@test "a new cpuset group inherits cpus and mems, so joining it works" {
    requires_root
    requires_controller cpuset
    run "$MCGEXEC" -e "s = Cgroup::CPUSET.new('$G/inner'); s.create" -- cat /proc/self/cgroup
    assert_success
    assert_output --regexp "(cpuset)?:.*/$G/inner"
    if ! is_v2; then
        # v1 copies them from the nearest ancestor that has them
        assert_equal "$(cat "$(group_dir cpuset "$G")/cpuset.cpus")" "$(cat "$(self_dir cpuset)/cpuset.cpus")"
        assert_equal "$(cat "$(group_dir cpuset "$G/inner")/cpuset.mems")" "$(cat "$(self_dir cpuset)/cpuset.mems")"
    fi
}

@test "a cpu list that is not a list is caught before the kernel" {
    requires_root
    requires_controller cpuset
    run "$MCGEXEC" -e "s = Cgroup::CPUSET.new('$G'); s.cpus = '0-a'; s.create" -- true
    assert_equal "$status" 125
    assert_output "mcgexec: -e:1: cpuset.cpus = \"0-a\": invalid list (use numbers and ranges such as \"0-3,5\")"
    assert_no_test_groups
}
