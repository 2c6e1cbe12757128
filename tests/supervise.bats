#!/usr/bin/env bats
# --wait, --rm, --timeout, --stats: the supervisor.

load helpers
bats_require_minimum_version 1.5.0

# Is process $1 running (a zombie waiting for its reaper is not)?
alive() {
    [ -e "/proc/$1" ] && ! grep -q '^State:[[:space:]]*Z' "/proc/$1/status" 2>/dev/null
}

# A policy giving the job its own group in cpu, memory and pids under $G.
job_policy() {
    echo "group '$G/job', memory: '${1:-256M}', pids: 100, cpu: '100%'"
}

@test "--wait passes the exit status through, and 128+N for a signal" {
    requires_root
    requires_controller memory
    run "$MCGEXEC" --wait -e "$(job_policy)" -- sh -c 'exit 7'
    assert_equal "$status" 7
    run "$MCGEXEC" --wait -e "$(job_policy)" -- sh -c 'kill -TERM $$'
    assert_equal "$status" 143
    run "$MCGEXEC" --wait -e "$(job_policy)" -- sh -c 'kill -KILL $$'
    assert_equal "$status" 137
    run -127 "$MCGEXEC" --wait -e "$(job_policy)" -- mcgexec-no-such-command
    assert_output --partial "failed to execute mcgexec-no-such-command"
}

@test "--wait ends by the signal that ended the command (as timeout(1) does), after cleaning up" {
    requires_root
    requires_controller memory
    command -v perl >/dev/null || skip "no perl to read how a process ended"
    # perl's $?: the signal in its low 7 bits, the exit status above them
    run perl -e 'system(@ARGV); print $? & 127, " ", $? >> 8, "\n"' \
        "$MCGEXEC" --rm -e "$(job_policy)" -- sh -c 'kill -TERM $$'
    assert_output "15 0"
    assert_no_test_groups
    run perl -e 'system(@ARGV); print $? & 127, " ", $? >> 8, "\n"' \
        "$MCGEXEC" --wait -e "$(job_policy)" -- sh -c 'exit 143'
    assert_output "0 143"
    run perl -e 'system(@ARGV); print $? & 127, " ", $? >> 8, "\n"' \
        "$MCGEXEC" --timeout 0.5 -e "$(job_policy)" -- sleep 10
    assert_line "0 124"
}

@test "the supervisor stays out of the job's groups; the command is in them" {
    requires_root
    requires_controller memory
    # the job says it runs, then stays until told to go (20 s at most, should
    # the test fail first): no guess at how long a start takes, which a
    # sanitizer build on a busy machine makes slow
    "$MCGEXEC" --wait -e "$(job_policy)" -- sh -c 'touch "$0/ready"; for _ in $(seq 400); do [ -e "$0/go" ] && break; sleep 0.05; done' \
        "$BATS_TEST_TMPDIR" &
    sup=$!
    for _ in $(seq 200); do [ -e "$BATS_TEST_TMPDIR/ready" ] && break; sleep 0.05; done
    members=$(cat "$(group_dir memory "$G/job")/cgroup.procs")
    touch "$BATS_TEST_TMPDIR/go"
    wait "$sup"
    [ -n "$members" ]
    ! grep -qx "$sup" <<< "$members" || fail "the supervisor $sup is in the job's group"
}

@test "signals reach the command: USR1, TERM, INT, HUP are forwarded" {
    requires_root
    requires_controller memory
    for sig in USR1 TERM INT HUP; do
        rm -f "$BATS_TEST_TMPDIR/ready"
        # (a background job starts with SIGINT ignored, and under nohup SIGHUP: give mcgexec the defaults)
        env --default-signal=INT,HUP "$MCGEXEC" --wait -e "$(job_policy)" -- sh -c "trap 'echo got $sig; exit 9' $sig; touch '$BATS_TEST_TMPDIR/ready'; while :; do sleep 0.1; done" \
            > "$BATS_TEST_TMPDIR/out" &
        sup=$!
        for _ in $(seq 50); do [ -e "$BATS_TEST_TMPDIR/ready" ] && break; sleep 0.1; done
        kill -"$sig" "$sup"
        status=0
        wait "$sup" || status=$?
        assert_equal "$status" 9
        assert_equal "$(cat "$BATS_TEST_TMPDIR/out")" "got $sig"
    done
}


@test "--rm removes the groups: normal exit, command killed, daemonized grandchild" {
    requires_root
    requires_controller cpu memory pids
    run "$MCGEXEC" --rm -e "$(job_policy)" -- true
    assert_success
    assert_no_test_groups
    run "$MCGEXEC" --rm -e "$(job_policy)" -- sh -c 'kill -KILL $$'
    assert_equal "$status" 137
    assert_no_test_groups
    # a grandchild that outlives the command is killed, then the group goes
    run "$MCGEXEC" --rm -e "$(job_policy)" -- sh -c 'setsid sleep 300 </dev/null >/dev/null 2>&1 & echo $!'
    assert_success
    daemon=$output
    ! alive "$daemon" || fail "the daemonized grandchild $daemon survived"
    assert_no_test_groups
}

@test "--rm removes the groups when mcgexec itself gets SIGTERM or SIGINT" {
    requires_root
    requires_controller memory pids
    for sig in TERM INT; do
        rm -f "$BATS_TEST_TMPDIR/ready"
        env --default-signal=INT "$MCGEXEC" --rm -e "$(job_policy)" -- sh -c "touch '$BATS_TEST_TMPDIR/ready'; sleep 300 & wait" &
        sup=$!
        for _ in $(seq 50); do [ -e "$BATS_TEST_TMPDIR/ready" ] && break; sleep 0.1; done
        [ "$(count_test_groups)" -gt 0 ] || fail "no group while running"
        kill -"$sig" "$sup"
        wait "$sup" || true
        assert_no_test_groups
    done
}

@test "--rm removes the groups when the policy fails half-way" {
    requires_root
    requires_controller memory pids
    run "$MCGEXEC" --rm -e "$(job_policy)
raise 'half-way'" -- true
    assert_equal "$status" 125
    assert_output --partial "half-way (RuntimeError)"
    assert_no_test_groups
}

@test "--rm never removes a group this run did not create" {
    requires_root
    requires_controller memory
    mkdir -p "$(group_dir memory)"
    run "$MCGEXEC" --rm -e "m = Cgroup::MEMORY.new('$G'); m.limit_in_bytes = '128M'; m.create; Cgroup::MEMORY.new('$G/job').create" -- true
    assert_success
    [ -d "$(group_dir memory)" ] || fail "the pre-existing group was removed"
    [ ! -e "$(group_dir memory)/job" ] || fail "the group this run made is left"
}

@test "--timeout kills a process tree that ignores SIGTERM and exits 124" {
    requires_root
    requires_controller memory pids
    start=$(date +%s)
    run "$MCGEXEC" --timeout 1 -e "$(job_policy)" -- sh -c "trap '' TERM; sleep 300 & echo \$! > '$BATS_TEST_TMPDIR/bg'; sleep 300"
    end=$(date +%s)
    assert_equal "$status" 124
    assert_output --partial "timed out after 1 s"
    [ $((end - start)) -lt 10 ] || fail "took $((end - start)) s"
    ! alive "$(cat "$BATS_TEST_TMPDIR/bg")" || fail "the background sleep survived"
    [ -z "$(cat "$(group_dir memory "$G/job")/cgroup.procs")" ] || fail "processes left in the group"
    run "$MCGEXEC" --timeout 1x -e '' true
    assert_equal "$status" 125
    assert_output --partial "invalid duration"
}

@test "--stats: a 100 MiB allocation reports a peak within 10%" {
    requires_root
    requires_controller memory
    run "$MCGEXEC" --rm --stats-format=json --stats="$BATS_TEST_TMPDIR/s.json" -e "$(job_policy 512M)" -- \
        dd if=/dev/zero of=/dev/null bs=100M count=1
    assert_success
    peak=$(jq -r .memory_peak_bytes "$BATS_TEST_TMPDIR/s.json")
    assert_equal "$(jq -r .memory_source "$BATS_TEST_TMPDIR/s.json")" cgroup
    [ "$peak" -ge $((90 << 20)) ] && [ "$peak" -le $((110 << 20)) ] || fail "peak $peak bytes"
    assert_equal "$(jq -r .memory_limit_bytes "$BATS_TEST_TMPDIR/s.json")" $((512 << 20))
}

@test "--stats: a job that spins for 1 s of its own CPU time reports about 1 s of CPU" {
    requires_root
    requires_controller cpu cpuacct
    run "$MCGEXEC" --rm --stats-format=json -e "group '$G/job', cpu: '100%'; Cgroup::CPUACCT.new('$G/job').create" -- \
        sh -c "$(spin 10 "$BATS_TEST_TMPDIR/times")"
    assert_success
    json=$(tail -n 1 <<< "$output")
    cpu=$(jq -r '.cpu_user_s + .cpu_system_s' <<< "$json")
    assert_equal "$(jq -r .cpu_source <<< "$json")" cgroup
    # (the shell's own second, which times counts in sampled ticks: a few
    # either way; a little more for its start and its writes of the file)
    awk -v c="$cpu" 'BEGIN { exit !(c >= 0.9 && c <= 1.5) }' || fail "cpu $cpu s"
}

@test "an OOM-killed job is named, exits 137, and the report says so" {
    requires_root
    requires_controller memory
    run "$MCGEXEC" --rm --stats-format=json -e "$(job_policy 16M)" -- dd if=/dev/zero of=/dev/null bs=64M count=1
    assert_equal "$status" 137
    assert_line "mcgexec: dd was killed by the OOM killer: group $G/job reached its memory limit (16.0 MiB)"
    json=$(tail -n 1 <<< "$output")
    assert_equal "$(jq -r .oom_killed <<< "$json")" true
    assert_equal "$(jq -r .oom_kills <<< "$json")" 1
    assert_equal "$(jq -r .signal <<< "$json")" 9
    assert_no_test_groups
}

@test "an OOM kill from a limit above the job's group does not blame the group's own limit" {
    requires_root
    requires_controller memory
    run "$MCGEXEC" --rm --stats-format=json -e "m = Cgroup::MEMORY.new('$G'); m.limit_in_bytes = '32M'; m.create
group '$G/job', memory: '512M'" -- dd if=/dev/zero of=/dev/null bs=96M count=1
    assert_equal "$status" 137
    assert_line "mcgexec: dd was killed by the OOM killer: group $G/job stayed under its own memory limit (512.0 MiB), so a limit above it (its unit's, a parent group's) or the host's memory ran out"
    json=$(tail -n 1 <<< "$output")
    assert_equal "$(jq -r .oom_killed <<< "$json")" true
    assert_equal "$(jq -r .memory_limit_hits <<< "$json")" 0
    assert_no_test_groups
}

@test "the JSON report parses and carries every documented key" {
    requires_root
    requires_controller memory
    run "$MCGEXEC" --rm --stats-format=json -e "$(job_policy)" -- sh -c 'exit 3'
    assert_equal "$status" 3
    json=$(tail -n 1 <<< "$output")
    for key in version error command status exit_code signal timed_out oom_killed wall_time_s \
               cpu_user_s cpu_system_s cpu_source memory_peak_bytes memory_source \
               memory_limit_bytes oom_kills memory_limit_hits cpu_throttled_periods \
               cpu_throttled_s io_read_bytes io_write_bytes tasks_peak groups cgroup_version; do
        jq -e "has(\"$key\")" <<< "$json" >/dev/null || fail "no key $key"
        grep -q "^\.B $key\$" "$TOP/man/mcgexec.1" || fail "$key is not in man/mcgexec.1"
    done
    assert_equal "$(jq -r .exit_code <<< "$json")" 3
    assert_equal "$(jq -c .command <<< "$json")" '["sh","-c","exit 3"]'
}

@test "--stats text goes to stderr, or to a file" {
    requires_root
    requires_controller memory
    run "$MCGEXEC" --rm --stats -e "$(job_policy)" -- true
    assert_success
    assert_line "mcgexec: true exited with status 0 after $(sed -n 's/.*after \([0-9.]*\) s$/\1/p' <<< "$output" | head -1) s"
    assert_line --partial "mcgexec:   memory: peak"
    run "$MCGEXEC" --rm --stats="$BATS_TEST_TMPDIR/s.txt" -e "$(job_policy)" -- true
    assert_output ""
    grep -q "exited with status 0" "$BATS_TEST_TMPDIR/s.txt"
}

@test "Mcgexec.unique gives each run its own group name" {
    run "$MCGEXEC" -n -e 'a = Mcgexec.unique("ci/job"); b = Mcgexec.unique; puts a, b; raise "same" if a == b' -- true
    assert_success
    assert_line --index 0 --regexp '^ci/job-[0-9]+-[0-9a-f]{6}$'
    assert_line --index 1 --regexp '^mcgexec-[0-9]+-[0-9a-f]{6}$'
}

# ---- from a cgroup of its own ---------------------------------------------
# Where mcgexec starts alone in a cgroup (a service's, a scope's), on cgroup
# v2 it steps into a leaf of its own there to give the job's groups their
# controllers.  The supervisor then waits in that leaf: what it does to
# "the job" must reach the job's groups, never the leaf.  On v1 the same
# tests run below a cgroup of the test's.

# in_home COMMAND...: run COMMAND alone in the test's cgroup $G-home, in
# every hierarchy (the groups of --root self then go below it)
in_home() {
    local c d dirs=() code=""
    # mcgexec makes it, with the controllers these tests use (not v1's
    # cpuset: a new cpuset group takes no process until set up)
    for c in cpu cpuacct memory pids; do
        [ -n "$(mount_of "$c")" ] && code="$code Cgroup::${c^^}.new('$G-home').create;"
    done
    "$MCGEXEC" -e "$code" -- true || return 99
    for c in cpu cpuacct memory pids; do
        d=$(self_dir "$c") || continue
        [ -d "$d/$G-home" ] || continue
        [[ " ${dirs[*]} " == *" $d/$G-home "* ]] && continue
        dirs+=("$d/$G-home")
    done
    exec sh -c 'for d; do [ "$d" = -- ] && break; echo $$ > "$d/cgroup.procs" || exit 99; shift; done
           shift; exec "$@"' sh "${dirs[@]}" -- "$@"
}

@test "from a cgroup of its own: --timeout kills the job, not mcgexec; 124, nothing left" {
    requires_root
    requires_controller memory pids
    start=$(date +%s)
    run in_home "$MCGEXEC" --rm --timeout 2s -e "$(job_policy)" -- \
        sh -c "sleep 300 >/dev/null 2>&1 & echo \$! > '$BATS_TEST_TMPDIR/bg'; exec sleep 300 >/dev/null 2>&1"
    end=$(date +%s)
    assert_equal "$status" 124
    assert_output --partial "timed out after 2 s"
    [ $((end - start)) -lt 30 ] || fail "took $((end - start)) s"
    ! alive "$(cat "$BATS_TEST_TMPDIR/bg")" || fail "the background sleep survived"
    [ -z "$(find "$(self_dir memory)/$G-home" -mindepth 1 -type d)" ] || fail "groups left: $(find "$(self_dir memory)/$G-home" -mindepth 1 -type d)"
}

@test "from a cgroup of its own: a second SIGTERM kills the whole job; mcgexec ends as the job did" {
    requires_root
    requires_controller memory pids
    rm -f "$BATS_TEST_TMPDIR/bg" "$BATS_TEST_TMPDIR/term"
    in_home "$MCGEXEC" --rm -e "$(job_policy)" -- \
        sh -c "trap 'touch $BATS_TEST_TMPDIR/term' TERM; sleep 300 >/dev/null 2>&1 & echo \$! > '$BATS_TEST_TMPDIR/bg'; wait; wait" &
    sup=$!
    for _ in $(seq 200); do [ -s "$BATS_TEST_TMPDIR/bg" ] && break; sleep 0.1; done
    [ -s "$BATS_TEST_TMPDIR/bg" ] || fail "the job did not start"
    kill -TERM "$sup"
    # the first one passed on to the job's shell, whose trap says so (then
    # it waits on), before the second
    wait_until test -e "$BATS_TEST_TMPDIR/term"
    alive "$(cat "$BATS_TEST_TMPDIR/bg")" || fail "one SIGTERM ended the job's background process"
    kill -TERM "$sup"
    status=0
    wait "$sup" || status=$?
    assert_equal "$status" 137    # the job's shell died of SIGKILL, and so did mcgexec
    ! alive "$(cat "$BATS_TEST_TMPDIR/bg")" || fail "the background sleep survived"
    [ -z "$(find "$(self_dir memory)/$G-home" -mindepth 1 -type d)" ] || fail "groups left"
}

@test "from a cgroup of its own: --rm kills a daemonized leftover, then removes the groups" {
    requires_root
    requires_controller memory pids
    run in_home "$MCGEXEC" --rm -e "$(job_policy)" -- \
        sh -c 'setsid sleep 300 </dev/null >/dev/null 2>&1 & echo $!'
    assert_success
    ! alive "$output" || fail "the daemonized grandchild $output survived"
    [ -z "$(find "$(self_dir memory)/$G-home" -mindepth 1 -type d)" ] || fail "groups left"
}

@test "from a cgroup of its own: --stats counts the job's CPU, peak, limit and OOM kill" {
    requires_root
    requires_controller memory cpu
    # CPU: the job's own account of its children's CPU time (cutime + cstime
    # of its shell, in ticks) against the report's
    run in_home "$MCGEXEC" --rm --stats-format=json --stats="$BATS_TEST_TMPDIR/cpu.json" \
        -e "$(job_policy); Cgroup::CPUACCT.new('$G/job').create" -- \
        sh -c "sh -c '$(spin 15 "$BATS_TEST_TMPDIR/times")'"'; set -- $(cut -d" " -f16,17 /proc/$$/stat); echo $(($1 + $2))'
    assert_success
    ticks=$output
    cpu=$(jq -r '.cpu_user_s + .cpu_system_s' "$BATS_TEST_TMPDIR/cpu.json")
    assert_equal "$(jq -r .cpu_source "$BATS_TEST_TMPDIR/cpu.json")" cgroup
    awk -v c="$cpu" -v t="$ticks" -v hz="$(getconf CLK_TCK 2>/dev/null || echo 100)" \
        'BEGIN { own = t / hz; exit !(own >= 1.4 && c >= own * 0.8 && c <= own * 1.2 + 0.25) }' ||
        fail "report: $cpu s of CPU; the job counted $ticks ticks"
    # peak and limit: a 150 MiB allocation under 512 MiB
    run in_home "$MCGEXEC" --rm --stats-format=json --stats="$BATS_TEST_TMPDIR/mem.json" -e "$(job_policy 512M)" -- \
        dd if=/dev/zero of=/dev/null bs=150M count=1
    assert_success
    peak=$(jq -r .memory_peak_bytes "$BATS_TEST_TMPDIR/mem.json")
    [ "$peak" -ge $((140 << 20)) ] && [ "$peak" -le $((170 << 20)) ] || fail "peak $peak bytes"
    assert_equal "$(jq -r .memory_limit_bytes "$BATS_TEST_TMPDIR/mem.json")" $((512 << 20))
    assert_equal "$(jq -r '.groups | map(select(test("mcgexec\\."))) | length' "$BATS_TEST_TMPDIR/mem.json")" 0
    # an OOM kill, named
    run in_home "$MCGEXEC" --rm --stats-format=json -e "$(job_policy 32M)" -- dd if=/dev/zero of=/dev/null bs=96M count=1
    assert_equal "$status" 137
    assert_line "mcgexec: dd was killed by the OOM killer: group $G/job reached its memory limit (32.0 MiB)"
    json=$(tail -n 1 <<< "$output")
    assert_equal "$(jq -r .oom_killed <<< "$json")" true
    [ -z "$(find "$(self_dir memory)/$G-home" -mindepth 1 -type d)" ] || fail "groups left"
}

@test "the seed's memory.rb under --rm and --wait: the limit refuses the command, not mcgexec; named; nothing left" {
    requires_root
    requires_controller memory
    sed "s/mcgexec-example-memory/$G/" "$TOP/examples/memory.rb" > "$BATS_TEST_TMPDIR/memory.rb"
    # and the same with an explicit attach, which in a supervised run is
    # the command's join: the supervisor never enters the 8 KiB group
    { cat "$BATS_TEST_TMPDIR/memory.rb"; echo "m.attach"; } > "$BATS_TEST_TMPDIR/attach.rb"
    for p in memory.rb attach.rb; do
        for mode in --rm --wait; do
            rm -f "$BATS_TEST_TMPDIR/ran"
            run "$MCGEXEC" $mode "$BATS_TEST_TMPDIR/$p" -- sh -c "touch '$BATS_TEST_TMPDIR/ran'"
            [ ! -e "$BATS_TEST_TMPDIR/ran" ] || fail "$p $mode: the command ran under 8 KiB"
            case $status in
                126) assert_output --regexp "^mcgexec: failed to execute sh: .* \(group $G reached its memory limit \(8\.0 KiB\) before sh could start\)\$" ;;
                137) assert_output "mcgexec: sh was killed by the OOM killer: group $G reached its memory limit (8.0 KiB)" ;;
                *) fail "$p $mode: status $status: $output" ;;
            esac
            [ "$mode" = --wait ] || assert_no_test_groups
        done
    done
    assert_no_test_groups
}

@test "--stats=FILE on every exit path: a complete report or none, never a stale or empty one" {
    requires_root
    requires_controller memory
    local f=$BATS_TEST_TMPDIR/r.json
    echo '{"status": 0, "stale": true}' > "$f"
    # a policy error: the report says so
    run "$MCGEXEC" --stats="$f" --stats-format=json -e "raise 'half-way'" -- true
    assert_equal "$status" 125
    assert_equal "$(jq -r .status "$f")" 125
    assert_equal "$(jq -r .error "$f")" "-e:1: half-way (RuntimeError)"
    assert_equal "$(jq -r .stale "$f")" null
    # COMMAND not found
    run -127 "$MCGEXEC" --rm --stats="$f" --stats-format=json -e "$(job_policy)" -- mcgexec-no-such-command
    assert_equal "$status" 127
    assert_equal "$(jq -r .status "$f")" 127
    assert_output --partial "failed to execute mcgexec-no-such-command"
    jq -e '.error | test("failed to execute mcgexec-no-such-command")' "$f" >/dev/null
    assert_no_test_groups
    # killed while the policy runs: no report at all
    echo '{"status": 0, "stale": true}' > "$f"
    "$MCGEXEC" --stats="$f" -e "File.open('$BATS_TEST_TMPDIR/in-policy', 'w') { }; loop { }" -- true &
    local pid=$!
    wait_until test -e "$BATS_TEST_TMPDIR/in-policy"
    kill -TERM "$pid"
    wait "$pid" || true
    [ ! -e "$f" ] || fail "a report is left: $(cat "$f")"
    # a place it cannot write: one line, before anything happens
    run_marked --stats=/nonexistent/dir/r.json -e "$(job_policy)"
    assert_output "mcgexec: cannot write stats to /nonexistent/dir/r.json: No such file or directory"
    assert_not_ran
    # text: one line
    run "$MCGEXEC" --stats="$f" -e "raise 'half-way'" -- true
    assert_equal "$(cat "$f")" "mcgexec: true did not run (status 125): -e:1: half-way (RuntimeError)"
}

@test "supervised, the policy's attach is the command's: pids.max = 1 holds the job, not the supervisor" {
    requires_root
    requires_controller pids
    # (before, the supervisor joined first and could not start the job:
    # "clone: Resource temporarily unavailable")
    run "$MCGEXEC" --rm -e "p = Cgroup::PIDS.new('$G'); p.max = 1; p.create; p.attach" -- cat /proc/self/cgroup
    assert_success
    assert_line --regexp "^[0-9]+:$(ctl pids).*/$G\$"
    assert_no_test_groups
}

@test "--timeout sends SIGTERM first: the job can save its work; what ignores it gets SIGKILL after --kill-after" {
    requires_root
    requires_controller memory pids
    local t=$BATS_TEST_TMPDIR
    # a job that saves its work on SIGTERM, and a background process of it
    # that would only end by SIGKILL
    run "$MCGEXEC" --rm --timeout 1 -e "$(job_policy)" -- \
        sh -c "trap 'echo saved > $t/saved; exit 3' TERM; (trap '' TERM; exec sleep 300) >/dev/null 2>&1 & echo \$! > $t/bg; while :; do sleep 0.1; done"
    assert_equal "$status" 124
    assert_line "mcgexec: sh timed out after 1 s: sent SIGTERM to it and every process in its groups; it ended within the 5 s it had before SIGKILL"
    assert_equal "$(cat "$t/saved")" saved
    ! alive "$(cat "$t/bg")" || fail "what the job left after its grace survived"
    assert_no_test_groups
    # a job that ignores SIGTERM: SIGKILL after the grace
    start=$(date +%s.%N)
    run "$MCGEXEC" --rm --timeout 1s --kill-after 1500ms -e "$(job_policy)" -- sh -c "trap '' TERM; while :; do sleep 0.1; done"
    end=$(date +%s.%N)
    assert_equal "$status" 124
    assert_line "mcgexec: sh timed out after 1 s: sent SIGTERM to it and every process in its groups, then SIGKILL after 1.5 s more"
    awk -v a="$start" -v b="$end" 'BEGIN { d = b - a; exit !(d >= 2.4 && d < 10) }' || fail "took $start to $end"
    # another signal first, or SIGKILL at once
    # (SIGINT made default: a suite started in the background has it
    # ignored, and mcgexec passes that on)
    run env --default-signal=INT "$MCGEXEC" --rm --timeout 1 --timeout-signal INT -e "$(job_policy)" -- sh -c "trap 'echo got INT; exit 4' INT; while :; do sleep 0.1; done"
    assert_equal "$status" 124
    assert_line "got INT"
    assert_line --partial "sent SIGINT to it"
    rm -f "$t/saved"
    run "$MCGEXEC" --rm --timeout 1 --kill-after 0 -e "$(job_policy)" -- sh -c "trap 'echo saved > $t/saved' TERM; while :; do sleep 0.1; done"
    assert_equal "$status" 124
    assert_line "mcgexec: sh timed out after 1 s: killed it and every process in its groups"
    [ ! -e "$t/saved" ] || fail "--kill-after 0 sent SIGTERM"
    # the durations and the signal are checked first
    run "$MCGEXEC" --timeout 1m30s --kill-after 2x -e '' -- true
    assert_equal "$status" 125
    assert_line --index 0 --partial "mcgexec: --kill-after 2x: invalid duration"
    run "$MCGEXEC" --timeout 1 --timeout-signal NOPE -e '' -- true
    assert_equal "$status" 125
    assert_line --index 0 "mcgexec: --timeout-signal NOPE: no such signal (a name such as TERM, INT, KILL, or a number)"
}
