#!/usr/bin/env bats
# --root PATH|self and MCGEXEC_ROOT: where group names resolve.

load helpers

@test "--root self resolves names under mcgexec's own cgroup in each hierarchy" {
    requires_controller cpu memory
    unset MCGEXEC_ROOT
    run "$MCGEXEC" -n --root self -e "Cgroup::CPU.new('/$G').create; Cgroup::MEMORY.new('$G').create"
    assert_success
    assert_line "mkdir $(self_dir cpu)/$G"
    assert_line "mkdir $(self_dir memory)/$G"
}

@test "--root PATH puts absolute names below PATH; MCGEXEC_ROOT does the same" {
    requires_controller memory
    unset MCGEXEC_ROOT
    m=$(mount_of memory)
    run "$MCGEXEC" -n --root /delegated/sub/ -e "Cgroup::MEMORY.new('/$G').create"
    assert_success
    assert_line "mkdir $m/delegated"
    assert_line "mkdir $m/delegated/sub/$G"
    MCGEXEC_ROOT=/delegated run "$MCGEXEC" -n -e "Cgroup::MEMORY.new('$G').create"
    assert_line "mkdir $m/delegated"
    assert_line "mkdir $m/delegated/$G"
    # the option wins over the environment
    MCGEXEC_ROOT=/elsewhere run "$MCGEXEC" -n -r /delegated -e "Cgroup::MEMORY.new('$G').create"
    assert_line "mkdir $m/delegated"
    refute_line --partial "elsewhere"
}

@test "without --root, names resolve at the hierarchy root" {
    requires_controller cpu
    unset MCGEXEC_ROOT
    run "$MCGEXEC" -n -e "Cgroup::CPU.new('$G').create"
    assert_success
    assert_line "mkdir $(mount_of cpu)/$G"
}

@test "detach returns to the --root group, not the host's root" {
    requires_root
    requires_controller memory
    run "$MCGEXEC" -e "m = Cgroup::MEMORY.new('$G'); m.create; m.attach; m.detach" -- cat /proc/self/cgroup
    assert_success
    if is_v2; then
        assert_line "$(grep '^0::' /proc/self/cgroup)"
    else
        own=$(awk -F: '$2 ~ /(^|,)memory(,|$)/ { print $3 }' /proc/self/cgroup)
        assert_line --regexp "^[0-9]+:memory:$own\$"
    fi
}
