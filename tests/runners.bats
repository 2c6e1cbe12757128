#!/usr/bin/env bats
# CI runners as they run on a systemd host: a runner is a service without
# Delegate=yes (GitHub's actions.runner.*.service, a GitLab runner,
# Buildkite's and Jenkins' agents), and its jobs are the grandchildren of
# its main process or deeper, as root (sudo) or as the runner's account.
# Such a job gets a scope of its own, bound to the runner's service, so
# that stopping or restarting the runner ends it as a cancellation does;
# the service's own program is still refused, naming both ways out; and
# --scope asks for a scope from anywhere.  These run in the guest of
# scripts/vm.sh --systemd; elsewhere they skip.

load helpers
load systemd-helpers

TESTER=tester

setup() {
    G="mcgtest-$$-${BATS_TEST_NUMBER}-$RANDOM"
    [ "${MCGEXEC_VM:-}" = systemd ] || skip "runs in the systemd guest (scripts/vm.sh --systemd)"
    [ "$(cat /proc/1/comm)" = systemd ] && [ -d /run/systemd/system ] || fail "PID 1 is not systemd"
    UNIT=$G
    # the test's files, readable and writable by the runner's account too
    D=$(mktemp -d /tmp/mcgtest-runner.XXXXXX)
    chmod 755 "$D"
}

teardown() {
    [ -n "${UNIT:-}" ] || return 0
    systemctl stop "$UNIT.service" "$UNIT-*.service" 'mcgexec-*.scope' 2>/dev/null || true
    systemctl reset-failed "$UNIT.service" "$UNIT-*.service" 2>/dev/null || true
    if [ -n "${TUID:-}" ]; then
        runuser -u "$TESTER" -- env XDG_RUNTIME_DIR="/run/user/$TUID" \
            systemctl --user stop 'mcgexec-*.scope' 2>/dev/null || true
        [ -z "${LINGER:-}" ] || loginctl disable-linger "$TESTER"
    fi
    rm -f /etc/sudoers.d/mcgtest-runner
    [ -z "${DOC_LINK:-}" ] || rm -f "$DOC_LINK"
    rm -rf "$D"
}

# No scope of mcgexec's is left, of PID 1 or of any user's manager, nor a
# cgroup of one.
no_scopes() {
    [ -z "$(systemctl list-units --all --no-legend 'mcgexec-*.scope')" ] &&
        [ -z "$(find /sys/fs/cgroup -name 'mcgexec-*.scope' 2>/dev/null)" ]
}

# runner UNIT [systemd-run options] -- SCRIPT [ARG...]: a runner's shape,
# started and left running: the service's main process is sh, which runs
# `bash SCRIPT ARG...` (the job's shell, its child) and then idles as a
# runner waits for its next job; the job's output goes to $D/UNIT.out.
runner() {
    local unit=$1 opts=()
    shift
    while [ "$1" != -- ]; do opts+=("$1"); shift; done
    shift
    systemd-run --quiet --unit "$unit" "${opts[@]}" -E PATH="$PATH" \
        sh -c 'out=$1; shift; bash "$@" > "$out" 2>&1; echo "runner: job exited $?" >> "$out"; exec sleep 600' \
        - "$D/$unit.out" "$@"
}

# job_script NAME LINE...: a job's script in $D, for runner().
job_script() {
    local f=$D/$1
    shift
    printf '%s\n' "$@" > "$f"
    echo "$f"
}

# A job that says it started, records its pid, and answers SIGTERM.
TRAP_JOB='trap "echo got TERM; exit 3" TERM; echo $$ > "$0.pid"; echo started; while :; do sleep 0.1; done'

# The user manager of $TESTER, as a runner's account has it: by linger,
# with no login session.
requires_runner_account() {
    id "$TESTER" >/dev/null 2>&1 || fail "the systemd guest has no user $TESTER"
    TUID=$(id -u "$TESTER")
    chown "$TESTER" "$D"
    loginctl enable-linger "$TESTER"
    LINGER=1
    wait_until test -S "/run/user/$TUID/systemd/private"
}

# Is unit $1 no longer active?
inactive() {
    [ "$(systemctl show -P ActiveState "$1")" != active ]
}

# The runner's account as a CI runner's, without linger: a login session
# (su) starts its user manager.
requires_account() {
    id "$TESTER" >/dev/null 2>&1 || fail "the systemd guest has no user $TESTER"
    TUID=$(id -u "$TESTER")
    chown "$TESTER" "$D"
}

# Passwordless sudo for the runner's account, as hosted runners have.
sudo_for_runner() {
    echo "$TESTER ALL=(ALL) NOPASSWD: ALL" > /etc/sudoers.d/mcgtest-runner
    chmod 440 /etc/sudoers.d/mcgtest-runner
}

# The examples where the .deb installs them (the CI files name that path).
installed_examples() {
    local doc=/usr/share/doc/mcgexec
    [ -e "$doc/examples" ] && return 0
    mkdir -p "$doc"
    ln -s "$TOP/examples" "$doc/examples"
    DOC_LINK=$doc/examples
}

# A project for the CI examples to build, in $D/ws: the tree's examples/ci
# and a Makefile whose targets say where they ran; FAIL=1 fails the build,
# SLOW=1 hangs it in `sleep 300` (its pid in $D/ws/slow.pid).
workspace() {
    local ws=$D/ws
    mkdir -p "$ws/examples"
    cp -r "$TOP/examples/ci" "$ws/examples/"
    cat > "$ws/Makefile" <<'MAKEFILE'
where = cg=$$(sed -n 's/^0:://p' /proc/self/cgroup)
all:
	@$(where); echo "make all as $$(id -un) in $$cg, memory.max $$(cat /sys/fs/cgroup$$cg/memory.max)"
	@if [ -n "$$SLOW" ]; then sleep 300 & echo $$! > $(CURDIR)/slow.pid; wait; fi
	@test -z "$$FAIL"
test:
	@$(where); echo "make test as $$(id -un) in $$cg"
MAKEFILE
    chown -R "$TESTER" "$ws"
    echo "$ws"
}

# The scope and group job.rb makes for job ID, below PARENT: a pattern.
job_cg() {
    echo "$2/mcgexec-ci-$1-[0-9]+\.scope/ci/$1"
}

@test "a root job in a runner's service without Delegate=yes: a scope of its own, bound to the service; its limits, its output on the runner's pipe" {
    local job
    job=$(job_script job.sh \
        "mcgexec -v -e \"group 'job', memory: '64M', pids: 16\" -- sh -c '$JOB_REPORT"'
             scope=${cg%/job}; scope=${scope##*/}; systemctl show -p BindsTo,KillSignal,TimeoutStopUSec "$scope"'"' - memory.max pids.max" \
        'echo "job: mcgexec exited $?"')
    # (--pipe: the runner's stdout is this test's pipe, the job's output on it)
    run systemd-run --quiet --unit "$UNIT" --pipe --wait -E PATH="$PATH" \
        sh -c 'bash "$1"; echo "runner: job exited $?"' - "$job"
    assert_success
    assert_line --regexp "^mcgexec: $UNIT\.service has no Delegate=yes, and mcgexec is a job in its process tree, not its program \(main process [0-9]+, control process 0; mcgexec [0-9]+, its parent [0-9]+\): a scope of its own\$"
    assert_line --regexp "^mcgexec: $UNIT\.service: the scope is bound to it \(BindsTo=: its stop stops the scope\), and mcgexec stays as the job's supervisor \(as --wait\) to end the job when the service's main process \([0-9]+\) ends: a restart, which systemd does not pass on to a scope\$"
    assert_line --regexp "^mcgexec: systemd: StartTransientUnit mcgexec-job-[0-9]+\.scope, mode fail: .* KillSignal=SIGTERM TimeoutStopUSec=5000000 BindsTo=$UNIT\.service\$"
    assert_line --regexp '^/system\.slice/mcgexec-job-[0-9]+\.scope/job$'
    assert_line 67108864
    assert_line 16
    # the scope is bound to the runner, and stops as a cancellation does
    assert_line "BindsTo=$UNIT.service"
    assert_line "KillSignal=15"
    assert_line "TimeoutStopUSec=5s"
    assert_line "job: mcgexec exited 0"
    assert_line "runner: job exited 0"
    wait_until no_scopes
}

@test "supervised jobs in a runner's service: --timeout, --rm, --stats and an OOM kill act on the job; nothing left" {
    local d=$D
    run systemd-run --quiet --unit "$UNIT" --pipe --wait -E PATH="$PATH" \
        sh -c 'bash -c "$1" - "$2"; echo "runner: done"' - "$SUPERVISED_CHECKS" "$d"
    assert_line "runner: done"
    check_supervised "$d" '/system\.slice/mcgexec-job-[0-9]+\.scope'
    wait_until no_scopes
}

@test "stopping or restarting a runner's service ends its jobs, in place and supervised, with the cancellation's grace; nothing left" {
    local a b c s
    a=$(job_script a.sh "mcgexec -e \"group 'a', memory: '64M'\" -- sh -c '$TRAP_JOB' $D/a")
    b=$(job_script b.sh "mcgexec --rm --stats-format=json --stats=$D/b.json -e \"group 'b', memory: '64M'\" -- sh -c '$TRAP_JOB' $D/b")
    # one that ignores the signal: SIGKILL after --kill-after
    c=$(job_script c.sh "mcgexec --kill-after 1s -e \"group 'c', pids: 8\" -- sh -c 'trap \"\" TERM; echo \$\$ > $D/c.pid; while :; do sleep 0.1; done'")
    runner "$UNIT-a" -- "$a"
    runner "$UNIT-b" -- "$b"
    runner "$UNIT-c" -- "$c"
    wait_for "$D/a.pid"
    wait_for "$D/b.pid"
    wait_for "$D/c.pid"
    for s in $(systemctl list-units --no-legend --plain 'mcgexec-c-*.scope' | awk '{ print $1 }'); do
        assert_equal "$(systemctl show -P TimeoutStopUSec "$s")" 1s
    done
    systemctl stop "$UNIT-a.service" "$UNIT-b.service" "$UNIT-c.service"
    # (systemd stops the scopes in the same transaction: each within its
    # grace, the last by SIGKILL after 1 s)
    wait_until no_scopes
    for s in a b c; do
        gone "$(cat "$D/$s.pid")" || fail "job $s is still running"
    done
    grep -qx "got TERM" "$D/$UNIT-a.out" || fail "job a: $(cat "$D/$UNIT-a.out")"
    grep -qx "got TERM" "$D/$UNIT-b.out" || fail "job b: $(cat "$D/$UNIT-b.out")"
    # the supervisor reported the job, which ended by its own exit after the signal
    assert_equal "$(jq -r .exit_code "$D/b.json")" 3

    # a restart (a runner's upgrade) ends the job too
    rm -f "$D/a.pid"
    runner "$UNIT-a" -- "$a"
    wait_for "$D/a.pid"
    local old
    old=$(cat "$D/a.pid")
    systemctl restart "$UNIT-a.service"
    wait_until gone "$old"
    # (the restarted runner ran the job again: its own, new scope)
    pid_changed() { [ "$(cat "$D/a.pid" 2>/dev/null)" != "$1" ]; }
    within 10 pid_changed "$old" || fail "the restarted runner's job: $(cat "$D/$UNIT-a.out")"
    systemctl stop "$UNIT-a.service"
    wait_until no_scopes
}

@test "a service's own program without Delegate=yes is refused, naming both ways out; --scope runs it in a scope bound to the service" {
    run systemd-run --quiet --unit "$UNIT" --pipe --wait "$MCGEXEC" -e "group 'job', memory: '64M'" -- \
        touch "$D/ran"
    assert_equal "$status" 125
    local main
    main=$(sed -n 's/.*its main process \([0-9]*\)).*/\1/p' <<< "$output")
    assert_output "mcgexec: mcgexec is the program of $UNIT.service (its main process $main), which has no Delegate=yes: its cgroup is systemd's; add Delegate=yes to it (systemctl edit $UNIT.service), or give --scope for a scope of mcgexec's own, which takes the job out of the service's limits and accounting (stopping the service still ends it)"
    [ ! -e "$D/ran" ] || fail "COMMAND ran"
    no_scopes || fail "a scope was started"
    # started by the unit's shell: the same
    run systemd-run --quiet --unit "$UNIT-sh" --pipe --wait \
        sh -c "\"$MCGEXEC\" -e \"group 'job', memory: '64M'\" -- true; echo \"status \$?\""
    assert_line --index 0 --regexp "^mcgexec: mcgexec is the program of $UNIT-sh\.service \(its main process [0-9]+, mcgexec's parent\), which has no Delegate=yes"
    assert_line --index 1 "status 125"
    # --scope: out of the service, bound to it; its stop ends the job
    # (a script: systemd-run would take the job's $$ for its own)
    printf '%s\n' "${TRAP_JOB//\$0/\$1}" > "$D/trap.sh"
    systemd-run --quiet --unit "$UNIT-s" "$MCGEXEC" --scope -e "group 'job', memory: '64M'" -- \
        sh "$D/trap.sh" "$D/s"
    wait_for "$D/s.pid"
    local cg scope
    cg=$(sed -n 's/^0:://p' "/proc/$(cat "$D/s.pid")/cgroup")
    [[ $cg =~ ^/system\.slice/mcgexec-job-[0-9]+\.scope/job$ ]] || fail "the job ran in $cg"
    scope=${cg%/job}
    scope=${scope##*/}
    assert_equal "$(systemctl show -P BindsTo "$scope")" "$UNIT-s.service"
    systemctl stop "$UNIT-s.service"
    wait_until unit_gone "$scope"
    gone "$(cat "$D/s.pid")" || fail "the job outlived the service"
}

@test "--scope from every shape: a login's scope, a delegated service, a runner's job; --dry-run shows each decision" {
    local cg
    # a login session's shape: as without --scope
    run systemd-run --scope --quiet --unit "$UNIT" "$MCGEXEC" --scope -e "group 'job', memory: '64M'" -- \
        sh -c "$JOB_REPORT" - memory.max
    assert_success
    assert_line --index 0 --regexp '^/system\.slice/mcgexec-job-[0-9]+\.scope/job$'
    assert_line --index 1 67108864
    # a delegated service: out of it, into a scope bound to it
    run systemd-run --quiet --unit "$UNIT-d" --pipe --wait -p Delegate=yes "$MCGEXEC" --scope -v \
        -e "group 'job', memory: '64M'" -- sh -c "$JOB_REPORT" - memory.max
    assert_success
    assert_line "mcgexec: --scope: a scope of its own, whatever holds mcgexec ($UNIT-d.service)"
    assert_line --regexp "^mcgexec: systemd: StartTransientUnit mcgexec-job-[0-9]+\.scope, .* BindsTo=$UNIT-d\.service\$"
    assert_line --regexp '^/system\.slice/mcgexec-job-[0-9]+\.scope/job$'
    # a runner's job, as root through sudo's shape (a grandchild): the same as without
    run systemd-run --quiet --unit "$UNIT-r" --pipe --wait -E PATH="$PATH" \
        sh -c 'bash -c "mcgexec --scope -e \"group '"'job'"', memory: '"'64M'"'\" -- sh -c \"\$1\" - memory.max; true" - "$0"; true' "$JOB_REPORT"
    assert_line --index 0 --regexp '^/system\.slice/mcgexec-job-[0-9]+\.scope/job$'
    # --dry-run: the decision, asked of systemd, nothing started
    run systemd-run --quiet --unit "$UNIT-n" --pipe --wait -E PATH="$PATH" \
        sh -c 'bash -c "mcgexec -n -e \"group '"'job'"', memory: '"'64M'"'\" -- true; true"; true'
    assert_line "# manager: systemd (auto: cgroup v2, and systemd runs this host)"
    assert_line --regexp "^# $UNIT-n\.service has no Delegate=yes, and mcgexec is a job in its process tree, not its program \(main process [0-9]+, control process 0; mcgexec [0-9]+, its parent [0-9]+\): a scope of its own\$"
    assert_line --regexp "^# systemd: StartTransientUnit mcgexec-job-[0-9]+\.scope, .* BindsTo=$UNIT-n\.service\$"
    run systemd-run --quiet --unit "$UNIT-o" --pipe --wait "$MCGEXEC" -n -e "group 'job', memory: '64M'" -- true
    assert_equal "$status" 125
    assert_line --partial "mcgexec: mcgexec is the program of $UNIT-o.service"
    wait_until no_scopes
}

@test "--scope where no systemd manages the groups, or with --root: one line, 125" {
    run "$MCGEXEC" --scope --manager=cgroupfs -e "group 'job', memory: '64M'" -- true
    assert_equal "$status" 125
    assert_output "mcgexec: --scope asks systemd for a scope, and --manager=cgroupfs asks it for nothing: give one of them"
    run "$MCGEXEC" --scope --root self -e "group 'job'" -- true
    assert_equal "$status" 125
    assert_line --index 0 "mcgexec: --scope puts the groups below a scope of its own, --root below a cgroup you name: give one of them"
}

@test "a runner's account (a system service as the user, linger, no XDG_RUNTIME_DIR): a user scope; the job ends with the service; its own program is refused" {
    requires_runner_account
    local job
    job=$(job_script job.sh \
        "mcgexec -v -e \"group 'job', memory: '64M'\" -- sh -c '$JOB_REPORT; $TRAP_JOB' $D/u memory.max")
    chown "$TESTER" "$job"
    runner "$UNIT" --uid="$TESTER" -- "$job"
    wait_for "$D/u.pid"
    local out=$D/$UNIT.out
    grep -q "^mcgexec: systemd: the user manager of uid $TUID, at /run/user/$TUID/systemd/private (XDG_RUNTIME_DIR is not set" "$out" ||
        fail "$(cat "$out")"
    grep -q "^mcgexec: $UNIT.service is a system service, and the user's manager cannot bind a scope to it: mcgexec stays as the job's supervisor (as --wait) and ends the job when the service's main process ([0-9]*) ends, as its stop or restart would$" "$out" ||
        fail "$(cat "$out")"
    grep -qE "^/user\.slice/user-$TUID\.slice/user@$TUID\.service/app\.slice/mcgexec-job-[0-9]+\.scope/job$" "$out" ||
        fail "$(cat "$out")"
    grep -qx 67108864 "$out" || fail "$(cat "$out")"
    systemctl stop "$UNIT.service"
    wait_until gone "$(cat "$D/u.pid")"
    wait_until no_scopes
    grep -qx "mcgexec: $UNIT.service ended (its main process exited): ending the job, as stopping the service would" "$out" ||
        fail "$(cat "$out")"
    grep -qx "got TERM" "$out" || fail "$(cat "$out")"
    # the service's own program, as the user: refused, as root's is
    run systemd-run --quiet --uid="$TESTER" --unit "$UNIT-own" --pipe --wait \
        "$MCGEXEC" -e "group 'job', memory: '64M'" -- true
    assert_equal "$status" 125
    assert_output --partial "mcgexec: mcgexec is the program of $UNIT-own.service (its main process"
}

@test "examples/ci/github-workflow.yml as GitHub's runner runs it (the runner's account with linger, sudo): limits, statuses, summary; a cancelled run and a stopped runner leave nothing" {
    requires_runner_account
    sudo_for_runner
    local ws user_cg="/user\.slice/user-$TUID\.slice/user@$TUID\.service/app\.slice" out
    ws=$(workspace)
    # the runner's service as GitHub's template has it (KillMode=process)
    gh() {
        systemd-run --quiet --uid="$TESTER" -p KillMode=process -p KillSignal=SIGTERM \
            -p WorkingDirectory="$ws" -E PATH="$PATH" -E GITHUB_RUN_ID=4242 "$@" \
            python3 "$BATS_TEST_DIRNAME/ci/gha-runner.py" "$ws/examples/ci/github-workflow.yml" build "$ws"
    }
    run gh --unit "$UNIT" --pipe --wait
    assert_success
    assert_line "step Build, within the job's limits: exit 0"
    assert_line --regexp "^make all as $TESTER in $(job_cg 4242 "$user_cg"), memory.max 4294967296\$"
    assert_line "step Test as root, with what the tests used in the step's summary: exit 0"
    assert_line --regexp "^make test as root in $(job_cg 4242 /system\.slice)\$"
    assert_line "step Keep the record and its picture: skipped"
    assert_line "job: success"
    # the step's summary: mcgexec's Markdown, the totals against the limits
    grep -q '^### `make test`: exit 0 after ' "$ws/SUMMARY.md" && grep -q '^| | used | limit |$' "$ws/SUMMARY.md" &&
        grep -q '^| Memory | peak ' "$ws/SUMMARY.md" || fail "summary: $(cat "$ws/SUMMARY.md")"
    jq -e '.format == "mcgexec-record" and .samples > 0' "$ws/mcgexec-record.json" >/dev/null &&
        grep -q '<svg' "$ws/mcgexec-record.svg" || fail "no record or picture"
    # a failing build: its status passes through, the steps after it skip
    run gh --unit "$UNIT-f" --pipe --wait -E FAIL=1
    assert_failure
    assert_line "step Build, within the job's limits: exit 2"
    assert_line "step Test as root, with what the tests used in the step's summary: skipped"
    assert_line "job: failure"
    wait_until no_scopes
    # a cancelled run (the listener's SIGINT), then a stopped runner
    for how in cancel stop; do
        rm -f "$ws/slow.pid"
        out=$D/gh-$how.out
        gh --unit "$UNIT-$how" -E SLOW=1 -p StandardOutput=file:"$out" -p StandardError=file:"$out"
        wait_for "$ws/slow.pid"
        if [ "$how" = cancel ]; then
            kill -INT "$(systemctl show -P MainPID "$UNIT-$how.service")"
        else
            systemctl stop "$UNIT-$how.service"
        fi
        # (a cancellation's grace is the runner's: SIGINT, SIGTERM 7.5 s
        # later, SIGKILL 2.5 s after that; 60 s at most here)
        within 60 gone "$(cat "$ws/slow.pid")" || fail "$how: the job outlived it: $(cat "$out")"
        wait_until no_scopes
        within 20 inactive "$UNIT-$how.service" || fail "$how: the runner is still active: $(cat "$out")"
        [ "$how" = stop ] || grep -qx "job: cancelled" "$out" || fail "$how: $(cat "$out")"
    done
}

@test "examples/ci/gitlab-ci.yml as GitLab Runner's shell executor runs it (root's runner, su to the account: a login session): rootless and sudo jobs; a cancelled job leaves nothing" {
    requires_account
    sudo_for_runner
    installed_examples
    local ws user_cg="/user\.slice/user-$TUID\.slice/user@$TUID\.service/app\.slice" id
    ws=$(workspace)
    gl() { # JOB [systemd-run options]: the runner's service, root's
        local job=$1
        shift
        systemd-run --quiet -E PATH="$PATH" "$@" \
            python3 "$BATS_TEST_DIRNAME/ci/gitlab-runner.py" shell "$ws/examples/ci/gitlab-ci.yml" "$job" "$ws" "$TESTER"
    }
    # as the account: its user manager, started by su's login session
    run gl build-rootless --unit "$UNIT" --pipe --wait
    assert_success
    assert_line "stage step_script: exit 0"
    id=$(jq -r '.groups.memory' "$ws/mcgexec-report.json" | sed 's|.*/ci/||')
    assert_line --regexp "^make all as $TESTER in $(job_cg "$id" "$user_cg"), memory.max 4294967296\$"
    assert_equal "$(jq -r .exit_code "$ws/mcgexec-report.json")" 0
    assert_line "job: success"
    # with sudo: PID 1's scope, the after_script reads the report
    rm -f "$ws/mcgexec-report.json"
    run gl build --unit "$UNIT-root" --pipe --wait
    assert_success
    id=$(jq -r '.groups.memory' "$ws/mcgexec-report.json" | sed 's|.*/ci/||')
    assert_line --regexp "^make all as root in $(job_cg "$id" /system\.slice), memory.max 4294967296\$"
    assert_line --partial '"oom_killed": false'
    assert_line "stage after_script: exit 0"
    # a failing job's status passes through
    rm -f "$ws/mcgexec-report.json"
    run gl build-rootless --unit "$UNIT-f" --pipe --wait -E FAIL=1
    assert_failure
    assert_line "stage step_script: exit 2"
    assert_line "job: failure"
    # a cancelled job: the runner's SIGTERM to the job's process group
    rm -f "$ws/slow.pid"
    gl build-rootless --unit "$UNIT-c" -E SLOW=1 -p StandardOutput=file:"$D/c.out"
    wait_for "$ws/slow.pid"
    kill -TERM "$(systemctl show -P MainPID "$UNIT-c.service")"
    wait_until gone "$(cat "$ws/slow.pid")"
    wait_until no_scopes
    wait_until grep -qx "job: cancelled" "$D/c.out"
}

@test "examples/ci/gitlab-custom-run.sh as a custom executor's run_exec: the job's script under job.rb's limits, in a scope bound to the runner; failure codes; a stopped runner leaves nothing" {
    requires_account
    installed_examples
    local ws
    ws=$(workspace)
    # (run_exec and its policy where the package puts them: root's, as a
    # policy run as root must be)
    cu() { # [systemd-run options]: the runner's service, root's
        systemd-run --quiet -E PATH="$PATH" "$@" \
            python3 "$BATS_TEST_DIRNAME/ci/gitlab-runner.py" custom "$ws/examples/ci/gitlab-ci.yml" build-custom "$ws" /usr/share/doc/mcgexec/examples/ci/gitlab-custom-run.sh
    }
    run cu --unit "$UNIT" --pipe --wait
    assert_success
    assert_line "stage step_script: exit 0"
    assert_line --regexp "^make all as root in $(job_cg '[0-9]+' /system\.slice), memory.max 4294967296\$"
    assert_equal "$(jq -r .exit_code "$ws/mcgexec-report.json")" 0
    # the build fails: BUILD_FAILURE_EXIT_CODE; mcgexec refuses: SYSTEM_FAILURE_EXIT_CODE
    run cu --unit "$UNIT-f" --pipe --wait -E FAIL=1
    assert_line "stage step_script: exit 17"
    run cu --unit "$UNIT-p" --pipe --wait -E MCGEXEC_POLICY=/nonexistent.rb
    assert_line "stage step_script: exit 18"
    # the runner stopped mid-job (its own SIGTERM to the job's process
    # group, and the scope bound to it)
    rm -f "$ws/slow.pid"
    cu --unit "$UNIT-s" -E SLOW=1
    wait_for "$ws/slow.pid"
    systemctl stop "$UNIT-s.service"
    wait_until gone "$(cat "$ws/slow.pid")"
    wait_until no_scopes
}
