#!/usr/bin/env bats
# The shipped examples do what their comments say (run under a test name).

load helpers

example() {
    sed "s/mcgexec-example-[a-z]*/$G/" "$TOP/examples/$1" > "$BATS_TEST_TMPDIR/$1"
    echo "$BATS_TEST_TMPDIR/$1"
}

@test "examples/memory.rb: an 8 KiB limit gets the command OOM-killed" {
    requires_root
    requires_controller memory
    run "$MCGEXEC" "$(example memory.rb)" -- sh -c 'echo unreachable'
    assert_equal "$status" 137
    refute_output --partial unreachable
    check_value memory memory.limit_in_bytes 8192 memory.max 8192
    assert_equal "$(oom_kills)" 1
}

@test "examples/cpu.rb: 20% of a CPU, throttled" {
    requires_root
    requires_controller cpu
    run "$MCGEXEC" "$(example cpu.rb)" -- timeout 1 sh -c 'while :; do :; done'
    assert_equal "$status" 124
    check_value cpu cpu.cfs_quota_us 20000 cpu.max "20000 100000"
    check_value cpu cpu.shares 512 cpu.weight 59
    throttled=$(cpu_stat nr_throttled)
    [ "$throttled" -gt 5 ] || fail "nr_throttled is $throttled"
}
