#!/usr/bin/env bats
# Without root: an ordinary user limits their own jobs through their systemd
# user manager (user@UID.service), on a cgroup v2 host with systemd; and the
# refusals where no manager delegates cgroups to a user (cgroup v1, v2
# without systemd).  The user-manager tests run in the guest of
# scripts/vm.sh --systemd, as its user `tester`; the refusals wherever the
# suite runs as root.

load helpers
load systemd-helpers

TESTER=tester

setup() {
    G="mcgtest-$$-${BATS_TEST_NUMBER}-$RANDOM"
    unset MCGEXEC_ROOT MCGEXEC_MANAGER
    requires_root
}

# The tests that need the systemd guest and its user.
requires_user_manager() {
    [ "${MCGEXEC_VM:-}" = systemd ] || skip "runs in the systemd guest (scripts/vm.sh --systemd)"
    id "$TESTER" >/dev/null 2>&1 || fail "the systemd guest has no user $TESTER"
    TUID=$(id -u "$TESTER")
    RUNDIR=/run/user/$TUID
    # (Type=notify: it returns once the manager is ready)
    systemctl start "user@$TUID.service"
    [ -S "$RUNDIR/systemd/private" ] || fail "user@$TUID.service runs without its socket"
    # the test's files, writable by the user (bats's own directories are
    # root's alone)
    D=$(mktemp -d /tmp/mcgtest-rootless.XXXXXX)
    chown "$TESTER" "$D"
}

teardown() {
    [ -n "${TUID:-}" ] || return 0
    rm -rf "$D"
    rm -f /etc/systemd/system/user@.service.d/mcgtest-delegate.conf
    if [ -n "${DROPIN:-}" ]; then
        systemctl daemon-reload
        systemctl restart "user@$TUID.service"
    fi
    # (a test that stopped the manager: the next one starts it again)
}

# As the user, in the shape of a login (XDG_RUNTIME_DIR set) or, with
# `as_user_bare`, of su -l, sudo -u or cron (no XDG_RUNTIME_DIR).
as_user() {
    runuser -u "$TESTER" -- env XDG_RUNTIME_DIR="$RUNDIR" PATH="$PATH" "$@"
}
as_user_bare() {
    runuser -u "$TESTER" -- env -u XDG_RUNTIME_DIR PATH="$PATH" "$@"
}

# The user manager's cgroup, relative to the mount.
user_tree() {
    echo "/user.slice/user-$TUID.slice/user@$TUID.service"
}

# No scope of mcgexec's is left in the user's tree.
no_user_scopes() {
    local left
    left=$(find "/sys/fs/cgroup$(user_tree)" -name 'mcgexec-*' 2>/dev/null)
    [ -z "$left" ] || { echo "left: $left"; return 1; }
}

@test "rootless, a login's shape (a user scope): the job below user@UID.service, limits read back" {
    requires_user_manager
    run as_user systemd-run --user --scope --quiet "$MCGEXEC" -v \
        -e "group 'job', memory: '64M', pids: 16, cpu: '50%'" -- sh -c "$JOB_REPORT" - memory.max pids.max cpu.max
    assert_success
    assert_line --regexp "^mcgexec: manager: systemd \(auto: cgroup v2, and systemd runs this host\)$"
    assert_line "mcgexec: systemd: the user manager of uid $TUID, at $RUNDIR/systemd/private"
    assert_line --regexp "^$(user_tree)/app\.slice/mcgexec-job-[0-9]+\.scope/job$"
    assert_line 67108864
    assert_line 16
    assert_line "50000 100000"
    wait_until no_user_scopes
}

@test "rootless, supervised from a user scope: --timeout, --rm, --stats and an OOM kill act on the job" {
    requires_user_manager
    local d=$D
    run as_user systemd-run --user --scope --quiet bash -c "$SUPERVISED_CHECKS" - "$d"
    check_supervised "$d" "$(user_tree)/app\.slice/mcgexec-job-[0-9]+\.scope"
    # pressure, read from the user's groups: the busy loop stalled for CPU
    # under its 100% quota or not, but every reading is there
    jq -e '[.psi[][]] | length == 6 and all(. != null)' "$d/cpu.json" ||
        fail "pressure missing: $(jq -c .psi "$d/cpu.json")"
    wait_until no_user_scopes
}

@test "rootless: the user's manager re-executed while a supervised job runs: no line, status kept, nothing left; restarted: the job ends with the session, status TERM's" {
    requires_user_manager
    local d=$D
    mkfifo "$d/go"
    chown "$TESTER" "$d/go"
    # the user's runs keep their state in the runtime directory
    as_user systemd-run --user --scope --quiet "$MCGEXEC" --rm -e "group 'job', memory: '64M'" -- \
        sh -c "echo ready > $d/ready; read x < $d/go; exit 4" > "$d/out" 2>&1 &
    local sup=$!
    wait_until test -s "$d/ready"
    [ -n "$(ls "$RUNDIR"/mcgexec/*.run)" ] || fail "no state of the user's run in $RUNDIR/mcgexec"
    as_user systemctl --user daemon-reexec
    echo go > "$d/go"
    local st=0
    wait "$sup" || st=$?
    cat "$d/out"
    [ "$st" -eq 4 ]
    [ ! -s "$d/out" ] || fail "said something"
    wait_until no_user_scopes
    [ -z "$(ls "$RUNDIR"/mcgexec/*.run 2>/dev/null)" ] || fail "a run file is left"
    # a restart of the manager stops everything below it: the job and its
    # supervisor get SIGTERM, the job's groups go with the scope
    rm -f "$d/ready"
    as_user systemd-run --user --scope --quiet "$MCGEXEC" --rm -e "group 'job', memory: '64M'" -- \
        sh -c "echo ready > $d/ready; read x < $d/go; exit 4" > "$d/out" 2>&1 &
    sup=$!
    wait_until test -s "$d/ready"
    systemctl restart "user@$TUID.service"
    st=0
    wait "$sup" || st=$?
    cat "$d/out"
    [ "$st" -eq 143 ] || fail "status $st, not 143 (SIGTERM)"
    wait_until no_user_scopes
}

@test "rootless: --record and --plot read the job's groups below the user's manager" {
    requires_user_manager
    [ -x "$TOP/build/jobshape" ] || fail "no jobshape in the guest"
    run as_user systemd-run --user --scope --quiet \
        sh -c "$(record_run "$D")"
    assert_success
    check_record "$D" "$(user_tree)/app\.slice/mcgexec-job-[0-9]+\.scope"
    wait_until no_user_scopes
}

@test "rootless, a job of a system service running as the user (a CI runner's shape, no XDG_RUNTIME_DIR): a user scope, supervised" {
    requires_user_manager
    # (the service's main process is sh; mcgexec, a job of its shell, is deeper)
    run systemd-run --uid="$TESTER" --unit "$G" --quiet --pipe --wait -E PATH="$PATH" sh -c \
        'bash -c "mcgexec -v -e \"group '"'job'"', memory: '"'64M'"', pids: 16\" -- sh -c \"\$1\" - memory.max pids.max; true" - "$0"; true' \
        "$JOB_REPORT"
    assert_success
    assert_line "mcgexec: systemd: the user manager of uid $TUID, at $RUNDIR/systemd/private (XDG_RUNTIME_DIR is not set: /run/user/UID is yours, mode 0700)"
    assert_line --regexp "^mcgexec: $G\.service is a system service, and the user's manager cannot bind a scope to it: mcgexec stays as the job's supervisor \(as --wait\) and ends the job when the service's main process \([0-9]+\) ends, as its stop or restart would\$"
    assert_line --regexp "^$(user_tree)/app\.slice/mcgexec-job-[0-9]+\.scope/job$"
    assert_line 67108864
    assert_line 16
    # supervised, from the same shape
    local d=$D
    run systemd-run --uid="$TESTER" --unit "$G-sup" --quiet --pipe --wait \
        -E PATH="$PATH" sh -c 'bash -c "$1" - "$2"; true' - "$SUPERVISED_CHECKS" "$d"
    check_supervised "$d" "$(user_tree)/app\.slice/mcgexec-job-[0-9]+\.scope"
    wait_until no_user_scopes
}

@test "rootless, runuser -u from root's service (su -l's shape, no XDG_RUNTIME_DIR): a user scope, --slice honoured" {
    requires_user_manager
    run as_user_bare "$MCGEXEC" --rm --wait --slice batch.slice \
        -e "group 'job', memory: '48M'" -- sh -c "$JOB_REPORT" - memory.max
    assert_success
    assert_line --regexp "^$(user_tree)/batch\.slice/mcgexec-job-[0-9]+\.scope/job$"
    assert_line 50331648
    wait_until no_user_scopes
}

@test "rootless, a user service with Delegate=yes: below it, no scope; without Delegate=yes: refused, one line" {
    requires_user_manager
    run as_user systemd-run --user --unit "$G" --quiet --pipe --wait -p Delegate=yes \
        "$MCGEXEC" -e "group 'job', memory: '64M'" -- sh -c "$JOB_REPORT" - memory.max
    assert_success
    assert_line --index 0 "$(user_tree)/app.slice/$G.service/job"
    assert_line --index 1 67108864
    run as_user systemd-run --user --unit "$G-n" --quiet --pipe --wait \
        "$MCGEXEC" -e "group 'job', memory: '64M'" -- true
    assert_failure
    assert_line --regexp "^mcgexec: mcgexec is the program of $G-n\.service \(its main process [0-9]+\), which has no Delegate=yes: its cgroup is systemd's; add Delegate=yes to it \(systemctl --user edit $G-n\.service\), or give --scope for a scope of mcgexec's own, which takes the job out of the service's limits and accounting \(stopping the service still ends it\)\$"
    as_user systemctl --user reset-failed "$G-n.service" 2>/dev/null || true
    no_user_scopes
}

@test "rootless: cpuset or io with the default delegation is one line, 125; an administrator's drop-in makes it work" {
    requires_user_manager
    local delegated
    delegated=$(cat "/sys/fs/cgroup$(user_tree)/cgroup.controllers")
    [[ " $delegated " != *" cpuset "* ]] || skip "cpuset is delegated here already ($delegated)"
    run as_user "$MCGEXEC" -e "group 'job', cpus: '0'" -- true
    assert_equal "$status" 125
    assert_equal "${#lines[@]}" 1
    assert_output --regexp "^mcgexec: controller 'cpuset' is not delegated to uid $TUID \(/sys/fs/cgroup$(user_tree)/app\.slice/mcgexec-job-[0-9]+\.scope/cgroup\.controllers has: [a-z ]+\): an administrator delegates it with a drop-in, /etc/systemd/system/user@\.service\.d/delegate\.conf: \[Service\] Delegate=cpu cpuset io memory pids, then systemctl daemon-reload and a new login \(or systemctl restart user@$TUID\.service\)$"
    wait_until no_user_scopes
    # the plan says so too, as the user
    run as_user "$MCGEXEC" -n -e "group 'job', cpus: '0'" -- true
    assert_equal "$status" 125
    assert_output --partial "controller 'cpuset' is not delegated to uid $TUID (/sys/fs/cgroup$(user_tree)/cgroup.controllers has: "
    # the drop-in
    DROPIN=1
    mkdir -p /etc/systemd/system/user@.service.d
    printf '[Service]\nDelegate=cpu cpuset io memory pids\n' > /etc/systemd/system/user@.service.d/mcgtest-delegate.conf
    systemctl daemon-reload
    systemctl restart "user@$TUID.service"
    run as_user "$MCGEXEC" --rm --wait -e "group 'job', cpus: '0'" -- sh -c "$JOB_REPORT" - cpuset.cpus
    assert_success
    assert_line --index 1 0
}

@test "rootless: no user manager running: one line naming linger, 125, nothing made" {
    requires_user_manager
    local ways="a login starts one; for an account that never logs in (a CI runner's), root can start it at boot with 'loginctl enable-linger $TESTER', or run the job as root (sudo mcgexec --user $TESTER ...), or give the runner's service Delegate=yes"
    local rt="$D/rt" dry real
    # a socket that nothing listens on (a manager that stopped while its
    # directory stays): the helper's connect is refused
    as_user mkdir -m 700 "$rt" "$rt/systemd"
    as_user python3 -c 'import socket, sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])' "$rt/systemd/private"
    [ -S "$rt/systemd/private" ] || fail "no socket made"
    for dry in "" -n; do
        run runuser -u "$TESTER" -- env XDG_RUNTIME_DIR="$rt" PATH="$PATH" "$MCGEXEC" $dry -e "group 'job', memory: '64M'" -- touch "$D/ran"
        assert_equal "$status" 125
        # (a dry run prints its plan up to there)
        assert_line "mcgexec: no systemd user manager runs for uid $TUID (nothing listens on $rt/systemd/private): $ways"
        [ -n "$dry" ] || assert_equal "${#lines[@]}" 1
    done
    # the manager gone between mcgexec's look at its socket and the
    # helper's connect (logind removes the runtime directory a moment after
    # the manager stops): a helper that removes the socket first
    real="$(dirname "$MCGEXEC")/mcgexec-systemd"
    cp "$MCGEXEC" "$D/mcgexec"
    printf '#!/bin/sh\nrm -f "%s/systemd/private"\nexec "%s" "$@"\n' "$rt" "$real" > "$D/mcgexec-systemd"
    chmod 755 "$D/mcgexec" "$D/mcgexec-systemd"
    for dry in "" -n; do
        rm -f "$rt/systemd/private"
        as_user python3 -c 'import socket, sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])' "$rt/systemd/private"
        run runuser -u "$TESTER" -- env XDG_RUNTIME_DIR="$rt" PATH="$PATH" "$D/mcgexec" $dry -e "group 'job', memory: '64M'" -- touch "$D/ran"
        assert_equal "$status" 125
        # (a dry run prints its plan up to there)
        assert_line "mcgexec: no systemd user manager runs for uid $TUID (no $rt/systemd/private): $ways"
        [ -n "$dry" ] || assert_equal "${#lines[@]}" 1
    done
    [ ! -e "$D/ran" ] || fail "COMMAND ran"
    # (the directory's lock stays, as it does everywhere)
    [ -z "$(ls "$rt/mcgexec" | grep -v '^lock$')" ] || fail "state left: $(ls -A "$rt/mcgexec")"
    no_user_scopes
    # the user's own manager stopped: its socket gone, or (before logind
    # has removed the directory) nothing listening on it; one line either way
    systemctl stop "user@$TUID.service"
    for dry in "" -n; do
        run as_user_bare "$MCGEXEC" $dry -e "group 'job', memory: '64M'" -- touch "$D/ran"
        assert_equal "$status" 125
        assert_line --regexp "^mcgexec: no systemd user manager runs for uid $TUID \((no|nothing listens on) $RUNDIR/systemd/private\): a login starts one; .*'loginctl enable-linger $TESTER'"
        [ -n "$dry" ] || assert_equal "${#lines[@]}" 1
    done
    [ ! -e "$D/ran" ] || fail "COMMAND ran"
}

@test "rootless: an XDG_RUNTIME_DIR that is not the user's: one line, 125" {
    requires_user_manager
    run runuser -u "$TESTER" -- env XDG_RUNTIME_DIR=/run "$MCGEXEC" -e "group 'job', memory: '64M'" -- true
    assert_equal "$status" 125
    assert_output "mcgexec: XDG_RUNTIME_DIR=/run is not yours (its owner is uid 0; su without -l keeps the caller's): unset it or set it to /run/user/$TUID"
    no_user_scopes
}

@test "rootless --dry-run plans the user scope and asks nothing to change" {
    requires_user_manager
    run as_user "$MCGEXEC" -n -e "group 'job', memory: '64M', pids: 8" -- true
    assert_success
    assert_line --regexp "^# systemd \(user manager\): StartTransientUnit mcgexec-job-[0-9]+\.scope, mode fail: Description=\"mcgexec: true\" Slice=app\.slice Delegate=yes PIDs=[0-9]+ CollectMode=inactive-or-failed KillSignal=SIGTERM TimeoutStopUSec=5000000$"
    assert_line --regexp "^mkdir /sys/fs/cgroup$(user_tree)/app\.slice/mcgexec-job-[0-9]+\.scope/job$"
    refute_line --partial "would be refused"
    no_user_scopes
}

@test "rootless --user: only the caller themselves; another user is refused, one line" {
    requires_user_manager
    run as_user "$MCGEXEC" --user root -e "group 'job', memory: '64M'" -- true
    assert_equal "$status" 125
    assert_output "mcgexec: --user root: only root can run COMMAND as another user"
}

@test "no manager delegates cgroups to a user here (cgroup v1, or v2 without systemd): one line, 125" {
    requires_setpriv
    if is_v2 && [ -d /run/systemd/system ]; then
        skip "systemd runs this host"
    fi
    local want
    if is_v2; then
        want="mcgexec: uid $(id -u nobody) has no cgroups of its own on this cgroup v2 (host|container): without systemd nothing delegates one to a user; run mcgexec as root \(sudo\), or give --manager=cgroupfs --root for a group an administrator made yours"
    else
        want="mcgexec: uid $(id -u nobody) has no cgroups of its own on this cgroup v1( \(hybrid\))? host \(systemd delegates cgroups to users only on cgroup v2\): run mcgexec as root \(sudo\), or give --manager=cgroupfs --root for a group an administrator made yours"
    fi
    run as_nobody "$MCGEXEC" -e "group '$G', memory: '64M'" -- echo COMMAND ran
    assert_equal "$status" 125
    assert_output --regexp "^$want\$"
    [ -z "$(find /sys/fs/cgroup -name "$G" 2>/dev/null)" ] || fail "a group was made"
}
