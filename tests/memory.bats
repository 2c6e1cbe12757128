#!/usr/bin/env bats
# The memory controller: limits the kernel enforces.

load helpers

setup_file() {
    export BATS_NO_PARALLELIZE_WITHIN_FILE=true
}

@test "memory.rb classic: a 16M limit gets a 64 MiB allocation OOM-killed (137, oom_kill 1)" {
    requires_root
    requires_controller memory
    p=$(policy <<EOF2
m = Cgroup::MEMORY.new("$G")
m.limit_in_bytes = 16 * 1024 * 1024
m.create
EOF2
)
    run "$MCGEXEC" "$p" -- dd if=/dev/zero of=/dev/null bs=64M count=1
    assert_equal "$status" 137
    check_value memory memory.limit_in_bytes 16777216 memory.max 16777216
    assert_equal "$(oom_kills)" 1
    # the limit was reached, not just set: failures counted, the peak moved
    d=$(group_dir memory)
    if is_v2; then
        [ "$(awk '$1 == "max" { print $2 }' "$d/memory.events")" -gt 0 ]
        [ ! -e "$d/memory.peak" ] || [ "$(cat "$d/memory.peak")" -ge 16000000 ]
    else
        [ "$(cat "$d/memory.failcnt")" -gt 0 ]
        [ "$(cat "$d/memory.max_usage_in_bytes")" -ge 16000000 ]
    fi
}

@test "under the limit the same allocation succeeds" {
    requires_root
    requires_controller memory
    run "$MCGEXEC" -e "m = Cgroup::MEMORY.new('$G'); m.limit_in_bytes = '256M'; m.create" -- \
        dd if=/dev/zero of=/dev/null bs=64M count=1
    assert_success
    check_value memory memory.limit_in_bytes 268435456 memory.max 268435456
    assert_equal "$(oom_kills)" 0
}

@test "sizes with units, :max and -1; getters read the kernel" {
    requires_root
    requires_controller memory
    p=$(policy <<EOF2
m = Cgroup::MEMORY.new("$G")
m.limit_in_bytes = "1.5G"
m.create
puts m.limit_in_bytes
m.limit_in_bytes = "64k"
m.modify
puts m.limit_in_bytes
m.limit_in_bytes = :max
m.modify
puts m.limit_in_bytes > 2**62
m.limit_in_bytes = "512M"
m.modify
m.limit_in_bytes = -1
m.modify
puts m.limit_in_bytes > 2**62
EOF2
)
    run "$MCGEXEC" "$p" -- true
    assert_success
    assert_equal "${lines[0]}" 1610612736
    assert_equal "${lines[1]}" 65536
    assert_equal "${lines[2]}" true
    assert_equal "${lines[3]}" true
}

@test "usage, max usage, memsw and oom_control readings" {
    requires_root
    requires_controller memory
    # (Debian's v2 kernels always account swap; v1 hosts may not)
    is_v2 || [ -e "$(self_dir memory)/memory.memsw.limit_in_bytes" ] ||
        skip "no swap accounting (memsw)"
    p=$(policy <<EOF2
m = Cgroup::MEMORY.new("$G")
m.limit_in_bytes = "64M"
m.memsw_limit_in_bytes = "96M"
m.oom_control = false
m.create
puts m.memsw_limit_in_bytes
puts m.usage_in_bytes.is_a?(Integer)
puts m.max_usage_in_bytes.is_a?(Integer)
puts m.memsw_usage_in_bytes.is_a?(Integer)
puts(Mcgexec.cgroup_version == 2 || m.memsw_max_usage_in_bytes.is_a?(Integer))
puts m.oom_control
# lowering both: the kernel needs limit <= memsw at every step
m.limit_in_bytes = "32M"
m.memsw_limit_in_bytes = "48M"
m.modify
puts m.limit_in_bytes, m.memsw_limit_in_bytes
EOF2
)
    run "$MCGEXEC" "$p" -- true
    assert_success
    assert_equal "${lines[0]}" 100663296
    assert_equal "${lines[1]}" true
    assert_equal "${lines[2]}" true
    assert_equal "${lines[3]}" true
    assert_equal "${lines[4]}" true
    assert_equal "${lines[5]}" false
    assert_equal "${lines[6]}" 33554432
    assert_equal "${lines[7]}" 50331648
    # v2 keeps swap alone: memory.swap.max = memsw - limit
    check_value memory memory.memsw.limit_in_bytes 50331648 memory.swap.max 16777216
}

@test "generic form: c['memory.swappiness'] (v1) or c['memory.high'] (v2) writes and reads the file" {
    requires_root
    requires_controller memory
    if is_v2; then file=memory.high value='"1G"' want=1073741824; else file=memory.swappiness value=7 want=7; fi
    run "$MCGEXEC" -e "m = Cgroup::MEMORY.new('$G'); m['$file'] = $value; m.create; p m['$file']" -- true
    assert_success
    assert_line --index 0 "$want"
    check_cgroup_value memory "$file" "$want"
}

@test "generic form: a file the controller lacks is an error naming it; nothing left" {
    requires_root
    requires_controller memory
    run "$MCGEXEC" -e "m = Cgroup::MEMORY.new('$G')
m['memory.no_such_knob'] = 1
m.create" -- true
    assert_equal "$status" 125
    assert_output --regexp "^mcgexec: -e:2: memory.no_such_knob = 1: the memory controller has no file 'memory.no_such_knob'"
    assert_no_test_groups
}
