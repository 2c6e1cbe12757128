#!/usr/bin/env bats
# The controls modern hosts use: memory.high/low/min, swap.high, oom.group,
# cpu idle and burst.  Each reaches the kernel's file (read back from it);
# one without a v1 meaning fails on v1 with one line, 125 and no group.

load helpers

# has_file CTRL FILE...: prints the first FILE a group of the controller
# gets on this kernel (none: nothing).  The files are the kernel's to say,
# and a hierarchy's root lacks most of them, so it asks a probe group made
# by mcgexec ($G-probe: on v2 the controller is enabled for it as for the
# tests' groups), removed again at once.
has_file() {
    local cls d f
    cls=$(tr a-z A-Z <<< "$1")
    "$MCGEXEC" -e "Cgroup::$cls.new('$G-probe').create" -- true >&2 || return 1
    d=$(group_dir "$1" "$G-probe")
    shift
    for f in "$@"; do
        if [ -e "$d/$f" ]; then echo "$f"; break; fi
    done
    rmdir "$d"
}

# requires_file CTRL FILE: skip where the kernel gives groups no such file
requires_file() {
    local f
    f=$(has_file "$1" "$2") || fail "cannot make a probe group"
    [ -n "$f" ] || skip "this kernel has no $2"
}

@test "memory high, min, swap_high and oom_group reach their v2 files and read back" {
    requires_root
    requires_controller memory
    is_v2 || skip "cgroup v2 only (v1: the next test)"
    requires_file memory memory.swap.high
    run "$MCGEXEC" -e "m = Cgroup::MEMORY.new('$G'); m.high = '48M'; m.min = '4M'
m.swap_high = :max; m.oom_group = true; m.create
p m.high, m.min, m.swap_high, m.oom_group" -- true
    assert_success
    assert_output "$(printf '%s\n' 50331648 4194304 9223372036854771712 true)"
    check_cgroup_value memory memory.high 50331648
    check_cgroup_value memory memory.min 4194304
    check_cgroup_value memory memory.swap.high max
    check_cgroup_value memory memory.oom.group 1
}

@test "settings with no v1 meaning fail on v1 with one line, 125, no group" {
    requires_root
    requires_controller memory
    ! is_v2 || skip "cgroup v1 only"
    local s
    for s in "high = '1G'" "min = '1G'" "swap_high = '1G'" "oom_group = true"; do
        run_marked -e "m = Cgroup::MEMORY.new('$G'); m.create
m.$s"
        assert_output --regexp "^mcgexec: -e:2: memory\.[a-z.]+ has no cgroup v1 equivalent \(this host runs cgroup v1\)$"
        assert_not_ran
    done
    run_marked -e "p Cgroup::MEMORY.new('$G').high"
    assert_output "mcgexec: -e:1: memory.high has no cgroup v1 equivalent (this host runs cgroup v1)"
    assert_not_ran
}

@test "memory low: memory.low on v2, the soft limit on v1" {
    requires_root
    requires_controller memory
    run "$MCGEXEC" -e "m = Cgroup::MEMORY.new('$G'); m.low = '16M'; m.create; p m.low" -- true
    assert_success
    assert_output 16777216
    check_value memory memory.soft_limit_in_bytes 16777216 memory.low 16777216
}

@test "cpu idle and cfs_burst_us reach cpu.idle and cpu.cfs_burst_us (v2: cpu.max.burst)" {
    requires_root
    requires_controller cpu
    requires_file cpu cpu.idle
    if is_v2; then requires_file cpu cpu.max.burst; else requires_file cpu cpu.cfs_burst_us; fi
    run "$MCGEXEC" -e "c = Cgroup::CPU.new('$G'); c.cfs_quota_us = 50000; c.cfs_burst_us = 20000
c.idle = true; c.create; p c.idle, c.cfs_burst_us" -- true
    assert_success
    assert_output "$(printf '%s\n' true 20000)"
    check_cgroup_value cpu cpu.idle 1
    check_value cpu cpu.cfs_burst_us 20000 cpu.max.burst 20000
}

@test "a burst above the quota is the kernel's error, with the setting named; nothing left" {
    requires_root
    requires_controller cpu
    if is_v2; then requires_file cpu cpu.max.burst; else requires_file cpu cpu.cfs_burst_us; fi
    run_marked -e "c = Cgroup::CPU.new('$G'); c.cfs_quota_us = 10000; c.cfs_burst_us = 50000; c.create"
    assert_output --regexp "^mcgexec: -e:1: cpu\.cfs_burst_us = 50000: write .*: Invalid argument$"
    assert_not_ran
}

# Which I/O weight file a group of this host gets ("" where none), in the
# order mcgexec picks.
weight_file() {
    if is_v2; then
        has_file blkio io.bfq.weight io.weight
    else
        has_file blkio blkio.weight blkio.bfq.weight
    fi
}

@test "blkio weight: the file the kernel has, io.weight mapped as runc does; none is an error" {
    requires_root
    requires_controller blkio
    local f
    f=$(weight_file) || fail "cannot make a probe group"
    run "$MCGEXEC" -e "b = Cgroup::BLKIO.new('$G'); b.weight = 500; b.create; p b.weight" -- true
    if [ -z "$f" ]; then
        if is_v2; then
            assert_output "mcgexec: -e:1: blkio.weight = 500: blkio.weight: this kernel has neither io.bfq.weight nor io.weight (an I/O scheduler or controller with weights gives one)"
        else
            assert_output "mcgexec: -e:1: blkio.weight = 500: blkio.weight: this kernel has neither blkio.weight nor blkio.bfq.weight (an I/O scheduler or controller with weights gives one)"
        fi
        assert_equal "$status" 125
        assert_no_test_groups
        return
    fi
    assert_success
    assert_output 500
    case $f in
        io.weight) check_cgroup_value blkio io.weight "default 4950" ;;
        blkio.weight) check_cgroup_value blkio blkio.weight 500 ;;
        *) grep -Eqx "(default )?500" "$(group_dir blkio)/$f" || fail "$f: $(cat "$(group_dir blkio)/$f")" ;;
    esac
}

@test "blkio weight_device: one device's weight, or an error naming what the device lacks" {
    requires_root
    requires_controller blkio
    local disk f sched
    disk=$(disk_of "$BATS_TEST_TMPDIR") || skip "no block device under $BATS_TEST_TMPDIR"
    case "$disk" in 0:*) skip "$BATS_TEST_TMPDIR is not on a block device" ;; esac
    f=$(weight_file) || fail "cannot make a probe group"
    [ -n "$f" ] || skip "no I/O weight file on this kernel"
    sched=$(cat "/sys/dev/block/$disk/queue/scheduler" 2>/dev/null || true)
    run "$MCGEXEC" -e "b = Cgroup::BLKIO.new('$G'); b.weight_device = '$disk 200'; b.create; p b.weight_device" -- true
    if [[ "$f" == *bfq* && "$sched" != *"[bfq]"* ]]; then
        assert_equal "$status" 125
        assert_output --regexp "^mcgexec: -e:1: blkio\.weight_device = \"$disk 200\": write .*: Invalid argument \(a weight for one device needs the device to use the BFQ I/O scheduler\)\$"
        assert_no_test_groups
    elif [ "$f" = io.weight ] && [ "$status" -ne 0 ]; then
        assert_equal "$status" 125
        assert_output --regexp "needs blk-iocost enabled for the device \(io.cost.qos\)\$"
        assert_no_test_groups
    else
        assert_success
        assert_output "\"$disk 200\""
    fi
}

@test "pressure readers return the documented shape, or say the kernel keeps none" {
    requires_root
    requires_controller cpu memory blkio
    local code="" c
    for c in CPU MEMORY BLKIO; do
        code+="g = Cgroup::$c.new('$G'); g.create; h = g.pressure
raise '$c: ' + h.inspect unless h.keys.sort == %w[full some] &&
  h.values.all? { |v| v.keys.sort == %w[avg10 avg300 avg60 total] && v['avg10'].is_a?(Float) && v['total'].is_a?(Integer) }
"
    done
    run_marked -e "$code"
    if ! is_v2 && [ -z "$(has_file cpu cpu.pressure)" ]; then
        assert_output "mcgexec: -e:1: cpu.pressure: this kernel keeps no pressure for cgroup v1 groups (cgroup v2 does)"
        assert_not_ran
        return
    fi
    assert_success
}

@test "memory events: a Hash of Integers from memory.events (v1: max and oom_kill)" {
    requires_root
    requires_controller memory
    run "$MCGEXEC" -e "m = Cgroup::MEMORY.new('$G'); m.create; e = m.events
raise e.inspect unless e.values.all? { |v| v.is_a?(Integer) }
puts e.keys.sort.join(' ')" -- true
    assert_success
    if is_v2; then
        assert_output --regexp '(^| )high( |$)'
        assert_output --regexp '(^| )oom_kill( |$)'
        assert_output --regexp '(^| )low( |$)'
    else
        assert_output "max oom_kill"
    fi
}

@test "an allocation above memory.high is throttled, counted in memory_events.high, not OOM-killed" {
    requires_root
    requires_controller memory
    is_v2 || skip "memory.high is cgroup v2 only"
    run timeout 120 "$MCGEXEC" --rm --stats-format=json -e "m = Cgroup::MEMORY.new('$G'); m.limit_in_bytes = '256M'; m.high = '16M'; m.create" -- \
        dd if=/dev/zero of=/dev/null bs=32M count=1
    assert_success
    json=$(tail -n 1 <<< "$output")
    [ "$(jq -r .memory_events.high <<< "$json")" -gt 0 ] || fail "memory_events: $(jq -c .memory_events <<< "$json")"
    assert_equal "$(jq -r .memory_events.oom_kill <<< "$json")" 0
    assert_equal "$(jq -r .oom_killed <<< "$json")" false
    assert_no_test_groups
}

@test "--stats reports pressure and memory events, null where the kernel has none" {
    requires_root
    requires_controller cpu memory
    run "$MCGEXEC" --rm --stats-format=json -e "group '$G', cpu: '50%', memory: '64M'" -- sh -c 'i=0; while [ $i -lt 20000 ]; do i=$((i+1)); done'
    assert_success
    json=$(tail -n 1 <<< "$output")
    local k
    for k in cpu memory io; do
        jq -e ".psi.$k | has(\"some_us\") and has(\"full_us\")" <<< "$json" >/dev/null || fail "psi.$k: $json"
    done
    for k in low high max oom oom_kill; do
        jq -e ".memory_events | has(\"$k\")" <<< "$json" >/dev/null || fail "memory_events.$k: $json"
    done
    if is_v2; then
        # a quota of half a CPU on a busy loop stalls it: some pressure shows
        [ "$(jq -r .psi.cpu.some_us <<< "$json")" -gt 0 ] || fail "psi: $(jq -c .psi <<< "$json")"
        [ "$(jq -r .memory_events.high <<< "$json")" -ge 0 ]
    else
        assert_equal "$(jq -c .psi.cpu <<< "$json")" '{"some_us":null,"full_us":null}'
        assert_equal "$(jq -r .memory_events.low <<< "$json")" null
        assert_equal "$(jq -r .memory_events.max <<< "$json")" 0
    fi
    run "$MCGEXEC" --rm --stats -e "group '$G', memory: '64M'" -- true
    assert_line "mcgexec:   memory events: $(is_v2 && echo 'low 0, high 0, max 0, oom 0, oom_kill 0' || echo 'max 0, oom_kill 0')"
    assert_no_test_groups
}

@test "concise form: memory and cpu keywords, io weight, from the same table" {
    requires_root
    requires_controller cpu memory
    requires_file cpu cpu.idle
    if is_v2; then requires_file cpu cpu.max.burst; else requires_file cpu cpu.cfs_burst_us; fi
    local high=""
    is_v2 && high='high: "48M", '
    run "$MCGEXEC" -e "group '$G', memory: '64M' do
  memory ${high}low: '8M'
  cpu '50%', burst: '20ms', idle: true
end" -- true
    assert_success
    check_value memory memory.limit_in_bytes 67108864 memory.max 67108864
    check_value memory memory.soft_limit_in_bytes 8388608 memory.low 8388608
    ! is_v2 || check_cgroup_value memory memory.high 50331648
    check_value cpu cpu.cfs_burst_us 20000 cpu.max.burst 20000
    check_cgroup_value cpu cpu.idle 1
}

@test "concise form: an unknown keyword or a keyword-only limit given a value is one line" {
    run_marked -e "group '$G' do
  memory '1G', hgh: '1G'
end"
    assert_output "mcgexec: -e:2: unknown keyword 'hgh' for memory in group \"$G\" (known: high, low, min, swap_high, oom_group) (ArgumentError)"
    assert_not_ran
    run_marked -e "group '$G', io: 500"
    assert_output "mcgexec: -e:1: io takes keywords only (weight, weight_device) (ArgumentError)"
    assert_not_ran
    run_marked -e "group '$G' do cpu '50%', bogus: 1 end"
    assert_output "mcgexec: -e:1: unknown keyword 'bogus' for cpu in group \"$G\" (known: period, idle, burst) (ArgumentError)"
    assert_not_ran
}
