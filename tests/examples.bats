#!/usr/bin/env bats
# The shipped examples do what their comments say (run under a test name).

load helpers

# example FILE [GROUP]: FILE with its group named GROUP ($G by default)
example() {
    sed "s|mcgexec-example-[a-z]*|${2:-$G}|" "$TOP/examples/$1" > "$BATS_TEST_TMPDIR/$1"
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
    # The example halves its group's weight, which on a busy machine
    # (CI's scripts/load.sh) gets less than 20% of a CPU: so it runs in a
    # parent that outweighs the load (heavy_cpu_parent, a line before the
    # example's text, so mcgexec enables what v2 needs for it).
    { heavy_cpu_parent; cat "$(example cpu.rb "$G/example")"; } > "$BATS_TEST_TMPDIR/heavy-cpu.rb"
    # (0.2 s of CPU at 20 ms a period: 10 periods at least, each throttled)
    run "$MCGEXEC" "$BATS_TEST_TMPDIR/heavy-cpu.rb" -- sh -c "$(spin 2 "$BATS_TEST_TMPDIR/times")"
    assert_success
    check_value cpu cpu.cfs_quota_us 20000 cpu.max "20000 100000" "$G/example"
    check_value cpu cpu.shares 512 cpu.weight 59 "$G/example"
    check_value cpu cpu.shares 262144 cpu.weight 10000 "$G"
    throttled=$(cpu_stat nr_throttled "$G/example")
    [ "$throttled" -gt 5 ] || fail "nr_throttled is $throttled"
}

# The ExecStart= of a unit, with the installed paths replaced by this tree's.
exec_start() {
    sed -n 's/^ExecStart=//p' "$TOP/examples/systemd/$1" |
        sed "s|/usr/bin/mcgexec|$MCGEXEC|; s|/etc/mcgexec/app.rb|$BATS_TEST_TMPDIR/app.rb|"
}

@test "examples/systemd: both units' command lines are valid, the policy plans the groups" {
    cp "$TOP/examples/systemd/app.rb" "$BATS_TEST_TMPDIR/app.rb"
    requires_nobody
    local unit line
    for unit in app.service app-delegated.service; do
        line=$(exec_start "$unit" | sed 's/--user app/--user nobody/')
        [ -n "$line" ] || fail "$unit has no ExecStart="
        # a dry run: the options parse, the policy runs, nothing changes
        run ${line/ --/ -n --}
        assert_success
        assert_output --partial "services/app"
        assert_output --partial "exec /usr/local/bin/app --serve"
    done
    grep -q '^Delegate=yes' "$TOP/examples/systemd/app-delegated.service"
}

@test "examples/ci/run-step.sh: a per-job group, limits, exit status and a JSON report" {
    requires_root
    requires_controller cpu memory pids
    cp "$TOP/examples/ci/job.rb" "$BATS_TEST_TMPDIR/job.rb"
    for c in cpu memory pids; do
        [ -d "$(group_dir $c ci)" ] || CLEANUP_DIRS+=("$(group_dir $c ci)")
    done
    report="$BATS_TEST_TMPDIR/report.json"
    CI_JOB_ID="$G" MCGEXEC="$MCGEXEC" MCGEXEC_POLICY="$BATS_TEST_TMPDIR/job.rb" MCGEXEC_REPORT="$report" \
        run "$TOP/examples/ci/run-step.sh" sh -c 'cat /proc/self/cgroup; exit 7'
    assert_equal "$status" 7
    assert_line --regexp "^[0-9]+:$(is_v2 || echo memory):/(.*/)?ci/$G\$"
    assert_equal "$(jq -r .status "$report")" 7
    assert_equal "$(jq -r .memory_limit_bytes "$report")" 4294967296
    assert_equal "$(jq -r .oom_killed "$report")" false
    assert_no_test_groups   # --rm
}
