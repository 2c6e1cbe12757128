#!/usr/bin/env bats
# Every mruby-cgroup method, in scripts written the way mruby-cgroup's own
# examples are, and the places where mcgexec deliberately differs.

load helpers

@test "mruby-cgroup README example: create, attach, modify, delete" {
    requires_root
    requires_controller cpu cpuset
    p=$(policy <<EOF2
rate = Cgroup::CPU.new "$G"
core = Cgroup::CPUSET.new "$G"
rate.cfs_quota_us = 30000
core.cpus = core.mems = "0"
rate.create
core.create
rate.attach
core.attach
puts "in: #{File.open('/proc/self/cgroup').read.include?('$G')}"
rate.cfs_quota_us = 50000
rate.modify
puts "quota: #{rate.cfs_quota_us}"
rate.detach
core.detach
rate.delete
core.delete
puts "exist after delete: #{rate.exist?} #{core.exist?}"
EOF2
)
    run "$MCGEXEC" "$p" -- cat /proc/self/cgroup
    assert_success
    assert_line "in: true"
    assert_line "quota: 50000"
    assert_line "exist after delete: false false"
    refute_output --partial "$G"$'\n'
    assert_no_test_groups
}

@test "exist? is live and group_name returns the name" {
    requires_root
    requires_controller memory
    run "$MCGEXEC" -e "m = Cgroup::MEMORY.new('$G')
p m.exist?
m.create
p m.exist?
p Cgroup::MEMORY.new('$G').exist?
p m.group_name
p m.is_a?(Cgroup)
p m
m.close
p m.exist?
m.open
p m.exist?" -- true
    assert_success
    assert_equal "${lines[0]}" false
    assert_equal "${lines[1]}" true
    assert_equal "${lines[2]}" true
    assert_equal "${lines[3]}" "\"$G\""
    assert_equal "${lines[4]}" true
    assert_equal "${lines[5]}" "#<Cgroup::MEMORY $G>"
    assert_equal "${lines[6]}" false
    assert_equal "${lines[7]}" true
}

@test "attach moves the whole process (cgroup.procs), every thread included" {
    requires_root
    requires_controller memory
    run "$MCGEXEC" -e "m = Cgroup::MEMORY.new('$G'); m.create; m.attach" -- \
        bash -c 'mapfile -t procs < "$0/cgroup.procs"; echo "${procs[*]}"; echo $$' "$(group_dir memory)"
    assert_success
    # builtins only: the command is the group's one and only process
    assert_equal "${lines[0]}" "${lines[1]}"
}

@test "attach(pid) moves another process; delete moves its processes to the parent" {
    requires_root
    requires_controller memory
    sleep 30 &
    pid=$!
    run "$MCGEXEC" -e "m = Cgroup::MEMORY.new('$G'); m.create; m.attach($pid)
puts File.open('/proc/$pid/cgroup').read.include?('$G')
m.delete
puts File.open('/proc/$pid/cgroup').read.include?('$G')" -- true
    after=$(cat /proc/$pid/cgroup)
    kill "$pid"
    assert_success
    assert_equal "${lines[0]}" true
    assert_equal "${lines[1]}" false
    assert_equal "$after" "$(cat /proc/self/cgroup)"
}

@test "modify writes only what the policy set, never the rest of an existing group" {
    requires_root
    requires_controller memory
    if is_v2; then other1=memory.high other2=memory.low; else other1=memory.swappiness other2=memory.soft_limit_in_bytes; fi
    mkdir "$(group_dir memory)"
    echo 12 > "$(group_dir memory)/$other1"
    echo $((48 << 20)) > "$(group_dir memory)/$other2"
    before1=$(cat "$(group_dir memory)/$other1")
    run "$MCGEXEC" -v -e "m = Cgroup::MEMORY.new('$G'); m.limit_in_bytes = '40M'; m.modify" -- true
    assert_success
    # exactly one write, and the other settings are untouched
    assert_equal "$(grep -c ': write ' <<< "$output")" 1
    check_value memory memory.limit_in_bytes 41943040 memory.max 41943040
    check_cgroup_value memory "$other1" "$before1"
    check_cgroup_value memory "$other2" $((48 << 20))
}

@test "getters read the kernel each time, not a snapshot" {
    requires_root
    requires_controller memory
    run "$MCGEXEC" -e "m = Cgroup::MEMORY.new('$G'); m.limit_in_bytes = '8M'; m.create
a = m.limit_in_bytes
File.open('$(group_dir memory)/$(is_v2 && echo memory.max || echo memory.limit_in_bytes)', 'w') { |f| f.write('16777216') }
b = m.limit_in_bytes
p [a, b]" -- true
    assert_success
    assert_output "[8388608, 16777216]"
}

@test "setters return the value; a setting assigned twice before create is written once" {
    requires_root
    requires_controller cpu
    run "$MCGEXEC" -v -e "c = Cgroup::CPU.new('$G'); p(c.shares = 300); c.shares = 400; c.create" -- true
    assert_success
    assert_line 300
    assert_equal "$(grep -c ': write .*cpu\.\(shares\|weight\)' <<< "$output")" 1
    check_value cpu cpu.shares 400 cpu.weight 49
}

@test "the GC does not free a group under the policy (mruby-cgroup's use-after-free)" {
    requires_root
    requires_controller cpu
    run "$MCGEXEC" -e "c = Cgroup::CPU.new('$G')
200.times { |i| c.cfs_quota_us = 10000 + i; GC.start; Cgroup::CPU.new('$G') }
c.create
p c.cfs_quota_us" -- true
    assert_success
    assert_output 10199
}

@test "mruby-cgroup scripts that attach themselves still end in the groups" {
    requires_root
    requires_controller cpu memory
    p=$(policy <<EOF2
cpu = Cgroup::CPU.new("$G")
cpu.cfs_quota_us = 30000
cpu.create
cpu.attach
mem = Cgroup::MEMORY.new("$G")
mem.limit_in_bytes = 64 * 1024 * 1024
mem.create
EOF2
)
    run "$MCGEXEC" "$p" -- cat /proc/self/cgroup
    assert_success
    assert_output --regexp "$(ctl cpu)/.*$G"
    assert_output --regexp "$(ctl memory)/.*$G"
}

@test "an explicit attach to a parent wins over joining the child it created" {
    requires_root
    requires_controller memory
    run "$MCGEXEC" -e "a = Cgroup::MEMORY.new('$G'); a.create; b = Cgroup::MEMORY.new('$G/kid'); b.create; a.attach" -- cat /proc/self/cgroup
    if is_v2; then
        # v2: a group whose controllers serve its children holds no processes
        assert_equal "$status" 125
        assert_output --partial "the no-internal-processes rule"
        assert_no_test_groups
    else
        assert_success
        assert_line --regexp "$(ctl memory)/(.*/)?$G\$"
    fi
}

@test "nested groups: mcgexec joins the deepest" {
    requires_root
    requires_controller memory
    run "$MCGEXEC" -e "Cgroup::MEMORY.new('$G').create; Cgroup::MEMORY.new('$G/kid').create" -- cat /proc/self/cgroup
    assert_success
    assert_output --regexp "$(ctl memory)/.*$G/kid"
}

@test "cgroup_event_control= writes cgroup.event_control (the kernel checks the value)" {
    requires_root
    requires_controller memory
    run "$MCGEXEC" -e "m = Cgroup::MEMORY.new('$G'); m.cgroup_event_control = 'not an eventfd'; m.create" -- true
    assert_equal "$status" 125
    if is_v2; then
        assert_output "mcgexec: -e:1: cgroup.event_control has no cgroup v2 equivalent"
    else
        assert_output "mcgexec: -e:1: cgroup.event_control = \"not an eventfd\": write $(group_dir memory)/cgroup.event_control: Invalid argument"
    fi
    assert_no_test_groups
}
