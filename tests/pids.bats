#!/usr/bin/env bats
# pids: pids.max makes fork fail.

load helpers

@test "pids.max = 4 makes the fifth process's fork fail" {
    requires_root
    requires_controller pids
    p=$(policy <<EOF2
pids = Cgroup::PIDS.new("$G")
pids.max = 4
pids.create
EOF2
)
    run "$MCGEXEC" "$p" -- sh -c 'for i in 1 2 3 4 5 6; do sleep 2 & done; wait'
    assert_output --regexp "(fork|Resource temporarily unavailable)"
    check_cgroup_value pids pids.max 4
    run awk '$1 == "max" { print $2 }' "$(group_dir pids)/pids.events"
    [ "$output" -gt 0 ] || fail "pids.events max is $output"
}

@test "pids max reads back, :max lifts the limit, current counts" {
    requires_root
    requires_controller pids
    run "$MCGEXEC" -e "x = Cgroup::PIDS.new('$G'); x.max = 10; x.create; p x.max; x.max = :max; x.modify; p x.max; x.attach; p x.current" -- true
    assert_success
    assert_equal "${lines[0]}" 10
    assert_equal "${lines[1]}" -1
    assert_equal "${lines[2]}" 1
    check_cgroup_value pids pids.max max
}
