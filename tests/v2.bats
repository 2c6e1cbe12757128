#!/usr/bin/env bats
# cgroup v2 only: what has no v1 counterpart (controllers enabled top-down,
# the no-internal-processes rule, one directory for all classes) and the
# conversions, checked in the kernel's own files.

load helpers

setup() {
    G="mcgtest-$$-${BATS_TEST_NUMBER}-$RANDOM"
    CLEANUP_DIRS=()
    export MCGEXEC_ROOT=self
    is_v2 || skip "cgroup v2 only"
    requires_root
}

@test "all classes naming one group are one directory, joined with one write" {
    requires_controller cpu memory pids
    run "$MCGEXEC" -v -e "c = Cgroup::CPU.new('$G'); c.cfs_quota_us = 30000; c.create
m = Cgroup::MEMORY.new('$G'); m.limit_in_bytes = '64M'; m.create
x = Cgroup::PIDS.new('$G'); x.max = 20; x.create" -- cat /proc/self/cgroup
    assert_success
    assert_equal "$(grep -c ': attach ' <<< "$output")" 1
    assert_equal "$(grep -c ': mkdir ' <<< "$output")" 1
    assert_line "0::$(sed -n 's/^0:://p' /proc/self/cgroup | sed 's,/$,,')/$G"
    check_cgroup_value cpu cpu.max "30000 100000"
    check_cgroup_value memory memory.max 67108864
    check_cgroup_value pids pids.max 20
}

@test "cpu.shares maps to cpu.weight as crun and runc do, and reads back" {
    requires_controller cpu
    for pair in 1024:100 512:59 2048:174 2:1 262144:10000; do
        shares=${pair%:*} weight=${pair#*:}
        run "$MCGEXEC" -e "c = Cgroup::CPU.new('$G'); c.shares = $shares; c.create; p c.shares" -- true
        assert_success
        assert_output "$shares"
        check_cgroup_value cpu cpu.weight "$weight"
    done
}

@test "cfs_period_us alone keeps the quota; cfs_quota_us alone keeps the period" {
    requires_controller cpu
    run "$MCGEXEC" -e "c = Cgroup::CPU.new('$G'); c.cfs_quota_us = 40000; c.create" -- true
    assert_success
    run "$MCGEXEC" -e "c = Cgroup::CPU.new('$G'); c.cfs_period_us = 200000; c.modify; p [c.cfs_quota_us, c.cfs_period_us]" -- true
    assert_success
    assert_output "[40000, 200000]"
    check_cgroup_value cpu cpu.max "40000 200000"
    run "$MCGEXEC" -e "c = Cgroup::CPU.new('$G'); c.cfs_quota_us = -1; c.modify; p c.cfs_quota_us" -- true
    assert_output "-1"
    check_cgroup_value cpu cpu.max "max 200000"
}

@test "memory+swap becomes memory.swap.max = memsw - limit; bad pairs are errors" {
    requires_controller memory
    run "$MCGEXEC" -e "m = Cgroup::MEMORY.new('$G'); m.limit_in_bytes = '64M'; m.memsw_limit_in_bytes = '96M'; m.create; p m.memsw_limit_in_bytes" -- true
    assert_success
    assert_output $((96 << 20))
    check_cgroup_value memory memory.swap.max $((32 << 20))
    run "$MCGEXEC" -e "m = Cgroup::MEMORY.new('$G/below')
m.limit_in_bytes = '64M'
m.memsw_limit_in_bytes = '32M'
m.create" -- true
    assert_equal "$status" 125
    assert_output --regexp '^mcgexec: -e:3: memory.memsw.limit_in_bytes = "32M" \(33554432\): memory\+swap limit 33554432 is below the memory limit 67108864$'
    run "$MCGEXEC" -e "m = Cgroup::MEMORY.new('$G/nolimit'); m.memsw_limit_in_bytes = '32M'; m.create" -- true
    assert_equal "$status" 125
    assert_output --partial "needs a memory limit too"
    [ ! -e "$(group_dir memory)/below" ] && [ ! -e "$(group_dir memory)/nolimit" ]
}

@test "io.max: each throttle setting changes its key and keeps the others" {
    requires_controller blkio
    [ -n "${MCGEXEC_TEST_BLOCKDEV:-}" ] || skip "no test block device"
    dev=$(printf '%d:%d' "0x$(stat -c %t "$MCGEXEC_TEST_BLOCKDEV")" "0x$(stat -c %T "$MCGEXEC_TEST_BLOCKDEV")")
    run "$MCGEXEC" -e "b = Cgroup::BLKIO.new('$G'); b.throttle_read_bps_device = '$dev 1M'; b.create" -- true
    assert_success
    run "$MCGEXEC" -e "b = Cgroup::BLKIO.new('$G'); b.throttle_write_iops_device = '$dev 300'; b.modify; puts b.throttle_read_bps_device, b.throttle_write_iops_device" -- true
    assert_success
    assert_line --index 0 "$dev 1048576"
    assert_line --index 1 "$dev 300"
    check_cgroup_value blkio io.max "$dev rbps=1048576 wbps=max riops=max wiops=300"
    # v1's 0 (no limit) is v2's max
    run "$MCGEXEC" -e "b = Cgroup::BLKIO.new('$G'); b.throttle_read_bps_device = '$dev 0'; b.modify" -- true
    check_cgroup_value blkio io.max "$dev rbps=max wbps=max riops=max wiops=300"
}

@test "settings with no v2 meaning are errors that say so" {
    requires_controller cpu memory
    for code in "c.rt_runtime_us = 1000" "c.rt_period_us" "m.memsw_max_usage_in_bytes" "m.cgroup_event_control = 'x'"; do
        run "$MCGEXEC" -e "c = Cgroup::CPU.new('$G'); m = Cgroup::MEMORY.new('$G')
$code" -- true
        assert_equal "$status" 125
        assert_output --regexp "^mcgexec: -e:2: [a-z_.]+ has no cgroup v2 equivalent$"
    done
    run "$MCGEXEC" -e "m = Cgroup::MEMORY.new('$G'); m.oom_control = true; m.create" -- true
    assert_equal "$status" 125
    assert_output "mcgexec: -e:1: memory.oom_control = true (1): cgroup v2 cannot disable the OOM killer"
    assert_no_test_groups
}

@test "--root self in a cgroup holding only mcgexec: it moves to a leaf, enables, joins, removes the leaf" {
    requires_controller memory
    # a "service" cgroup of the test's, with the memory controller offered
    "$MCGEXEC" -e "Cgroup::MEMORY.new('$G/svc').create" -- true
    svc=$(group_dir memory)/svc
    run sh -c 'echo $$ > "$1/cgroup.procs" && exec "$0" -v --root self -e "group \"job\", memory: \"48M\"" -- cat /proc/self/cgroup' \
        "$MCGEXEC" "$svc"
    assert_success
    assert_line --regexp "^mcgexec: mkdir $svc/mcgexec\.[0-9]+\$"
    assert_line --regexp "^mcgexec: rmdir $svc/mcgexec\.[0-9]+\$"
    assert_line --regexp "^0::/(.*/)?$G/svc/job\$"
    check_cgroup_value memory memory.max $((48 << 20)) "$G/svc/job"
    grep -qw memory "$svc/cgroup.subtree_control"
    [ -z "$(ls -d "$svc"/mcgexec.* 2>/dev/null)" ] || fail "leaf left behind"
}

@test "--root self holding only mcgexec, supervised: the job runs, --rm leaves nothing, --wait only the groups" {
    requires_controller memory pids
    "$MCGEXEC" -e "Cgroup::MEMORY.new('$G/svc').create; Cgroup::PIDS.new('$G/svc').create" -- true
    svc=$(group_dir memory)/svc
    # pids alone: a threaded controller the kernel lets a busy group enable,
    # after which its children take no processes; mcgexec steps aside first
    run sh -c 'echo $$ > "$1/cgroup.procs" && exec "$0" --root self --rm -e "group \"job\", pids: 16" -- cat /proc/self/cgroup' \
        "$MCGEXEC" "$svc"
    assert_success
    assert_line --regexp "^0::/(.*/)?$G/svc/job\$"
    [ ! -e "$svc/job" ] || fail "job left"
    [ -z "$(ls -d "$svc"/mcgexec.* 2>/dev/null)" ] || fail "leaf left behind"
    ! grep -qw pids "$svc/cgroup.subtree_control" || fail "pids still enabled"
    run sh -c 'echo $$ > "$1/cgroup.procs" && exec "$0" --root self --wait -e "group \"job\", memory: \"48M\"" -- cat /proc/self/cgroup' \
        "$MCGEXEC" "$svc"
    assert_success
    assert_line --regexp "^0::/(.*/)?$G/svc/job\$"
    check_cgroup_value memory memory.max $((48 << 20)) "$G/svc/job"
}

@test "supervised: the job is started in its group, even where the supervisor's own cgroup has room for no other process" {
    requires_controller pids
    # where the kernel cannot start a process in a cgroup (clone3 missing
    # or denied by seccomp), the child joins its group itself, as
    # tests/systemd.bats checks under such a filter, and is first forked
    # where the supervisor is: nothing to test here
    run "$MCGEXEC" -v --rm -e "group '$G/probe', pids: 8" -- true
    assert_success
    if [[ "$output" == *"itself (clone3 into it:"* ]]; then
        why=${output##*clone3 into it: }
        skip "the kernel does not start processes in their cgroup here (clone3: ${why%%)*})"
    fi
    # box/sup holds the supervisor and nothing more (pids.max 1): a child
    # forked there and moved to its group afterwards could not be forked at
    # all; one the kernel starts in box/job (clone3 into the cgroup) can
    "$MCGEXEC" -e "Cgroup::PIDS.new('$G/box/sup').create" -- true
    box=$(group_dir pids)/box
    echo 1 > "$box/sup/pids.max"
    rel=${box#"$(mount_of pids)"}
    for mode in --rm --wait; do
        run sh -c 'echo $$ > "$1/sup/cgroup.procs" && exec "$0" -v --root "$2" '"$mode"' -e "group \"job\", pids: 8" -- cat /proc/self/cgroup' \
            "$MCGEXEC" "$box" "$rel"
        assert_success
        assert_line --regexp "^0::/(.*/)?$G/box/job\$"
        refute_line --partial "joins $box/job itself"
        [ "$(awk '$1 == "max" { print $2 }' "$box/sup/pids.events")" = 0 ] ||
            fail "a fork was refused in the supervisor's cgroup"
        if [ "$mode" = --rm ]; then
            [ ! -e "$box/job" ] || fail "--rm left the job's group"
        fi
    done
    check_cgroup_value pids pids.max 8 "$G/box/job"
}

@test "--root self where other processes share the cgroup: the error names the rule and the group" {
    requires_controller memory
    "$MCGEXEC" -e "Cgroup::MEMORY.new('$G/svc').create" -- true
    svc=$(group_dir memory)/svc
    sleep 30 &
    other=$!
    echo "$other" > "$svc/cgroup.procs"
    run sh -c 'echo $$ > "$1/cgroup.procs" && exec "$0" --root self -e "group \"job\", memory: \"48M\"" -- true' \
        "$MCGEXEC" "$svc"
    kill "$other"
    assert_equal "$status" 125
    assert_output "mcgexec: -e:1: cannot enable controller 'memory' in $svc: it has processes of its own, and cgroup v2 lets only a group without processes enable controllers for its children (the no-internal-processes rule)"
    # nothing of this run is left: no job, no leaf, memory not enabled
    [ ! -e "$svc/job" ] || fail "job left"
    [ -z "$(ls -d "$svc"/mcgexec.* 2>/dev/null)" ] || fail "leaf left behind"
    ! grep -qw memory "$svc/cgroup.subtree_control"
}

@test "a failed policy takes back the controllers it enabled" {
    requires_controller memory pids
    "$MCGEXEC" -e "Cgroup::MEMORY.new('$G').create" -- true
    before=$(cat "$(group_dir memory)/cgroup.subtree_control")
    run "$MCGEXEC" -e "Cgroup::PIDS.new('$G/a/b').create; raise 'no'" -- true
    assert_equal "$status" 125
    assert_equal "$(cat "$(group_dir memory)/cgroup.subtree_control")" "$before"
    [ ! -e "$(group_dir memory)/a" ] || fail "a left"
}
