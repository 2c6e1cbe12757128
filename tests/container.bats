#!/usr/bin/env bats
# A CI job in a container on cgroup v2: mcgexec inside a cgroup namespace
# of its own, made here as Docker, Podman and Kubernetes make one: a cgroup
# of the test's ($G-ctr, with the controllers the runtime gives), a new
# cgroup and mount namespace entered from inside it (util-linux unshare),
# cgroup2 mounted afresh at /sys/fs/cgroup (the namespace's root, shown as
# /), and another process of the container in that root.  No systemd
# inside: systemd.bats has the hosts that run it.

load helpers

requires_container() {
    requires_root
    is_v2 || skip "a container's own cgroup namespace: cgroup v2"
    command -v unshare >/dev/null || skip "no unshare (util-linux)"
    requires_controller memory pids
}

# container CONTROLLERS SNIPPET [ro]: run bash SNIPPET as the container's
# init, in $G-ctr (or $CTRNAME) made with CONTROLLERS (Ruby class names),
# which its parent then gives it, cgroup2 mounted
# there (read-only with "ro"), `sleep` running beside it as the container's
# other process (its pid in $T/other).  $CTR is the container's cgroup as
# the host sees it.
container() {
    local code="" k name=${CTRNAME:-$G-ctr}
    for k in $1; do code="$code Cgroup::$k.new('$name').create;"; done
    "$MCGEXEC" -e "$code" -- true || fail "cannot make $name"
    CTR=$(self_dir memory)/$name
    T=$BATS_TEST_TMPDIR
    cat > "$T/init.sh" <<EOF
umount /sys/fs/cgroup && mount -t cgroup2 ${3:+-o ro} none /sys/fs/cgroup || exit 99
sleep 300 >/dev/null 2>&1 &
echo \$! > "$T/other"
export MCGEXEC="$MCGEXEC" T="$T"
unset MCGEXEC_ROOT
$2
EOF
    run sh -c 'echo $$ > "$1/cgroup.procs" && exec unshare --cgroup --mount --propagation private bash "$2"' \
        sh "$CTR" "$T/init.sh"
}

# where the container's other process is, as the host sees it
other_in() {
    local pid
    pid=$(cat "$T/other")
    grep -qx "$pid" "$CTR/$1/cgroup.procs" || fail "the container's other process ($pid) is not in $1"
    kill "$pid"
}

# the cgroups below the container's, as the host sees them
ctr_groups() {
    (cd "$CTR" && find . -mindepth 1 -type d | sort | tr '\n' ' ')
}

@test "container: the concise form limits the job; the container's processes move to init; --rm leaves init alone" {
    requires_container
    local before
    before=$(ls "$(self_dir memory)" | grep -v -e "^$G" | tr '\n' ' ')
    container "MEMORY PIDS CPU" '
        "$MCGEXEC" -v --rm -e "group \"job\", memory: \"48M\", pids: 16" -- \
            sh -c "cat /proc/self/cgroup; cat /sys/fs/cgroup/job/memory.max /sys/fs/cgroup/job/pids.max"'
    assert_success
    assert_line "mcgexec: /sys/fs/cgroup is a cgroup namespace's root (a container's), not the host's"
    assert_line "mcgexec: /sys/fs/cgroup is a cgroup namespace's root with processes: they move to /sys/fs/cgroup/init"
    assert_line "0::/job"
    assert_line $((48 << 20))
    assert_line 16
    other_in init
    assert_equal "$(ctr_groups)" "./init "
    # nothing outside the container's cgroup
    assert_equal "$(ls "$(self_dir memory)" | grep -v -e "^$G" | tr '\n' ' ')" "$before"
}

@test "container: the mruby-cgroup style in place, an OOM kill named, pids.max making fork fail" {
    requires_container
    container "MEMORY PIDS" '
        "$MCGEXEC" -e "m = Cgroup::MEMORY.new(\"app\"); m.limit_in_bytes = \"40M\"; m.create; m.attach" -- \
            sh -c "cat /proc/self/cgroup; cat /sys/fs/cgroup/app/memory.max"
        "$MCGEXEC" --rm -e "group \"oom\", memory: \"32M\"" -- dd if=/dev/zero of=/dev/null bs=96M count=1
        echo "oom status $?"
        "$MCGEXEC" --rm -e "group \"fork\", pids: 2" -- sh -c "for i in 1 2 3 4; do sleep 1 & done; wait" 2>&1 |
            grep -c -e "fork" -e "Resource temporarily unavailable" | sed "s/^/fork failures /"'
    assert_success
    assert_line "0::/app"
    assert_line $((40 << 20))
    assert_line "mcgexec: dd was killed by the OOM killer: group oom reached its memory limit (32.0 MiB)"
    assert_line "oom status 137"
    assert_line --regexp "^fork failures [1-9]"
    other_in init
    # --rm runs left nothing; the in-place job's group is the command's
    assert_equal "$(ctr_groups)" "./app ./init "
}

@test "container: a policy error takes back the controllers it enabled; --dry-run plans the move" {
    requires_container
    container "MEMORY PIDS" '
        "$MCGEXEC" -n -e "group \"job\", memory: \"32M\"" -- true
        echo "dry status $?"
        "$MCGEXEC" --rm -e "group \"job\", memory: \"32M\"; raise \"half-way\"" -- true
        echo "status $?"
        echo "subtree: $(cat /sys/fs/cgroup/cgroup.subtree_control)"'
    assert_success
    # the plan: the move, then the groups
    assert_line "# /sys/fs/cgroup is a cgroup namespace's root with processes: they move to /sys/fs/cgroup/init"
    assert_line "mkdir /sys/fs/cgroup/init"
    assert_line --regexp "^attach /sys/fs/cgroup/init [0-9]+\$"
    assert_line "write /sys/fs/cgroup/cgroup.subtree_control +memory"
    assert_line "mkdir /sys/fs/cgroup/job"
    assert_line "dry status 0"
    assert_line "mcgexec: -e:1: half-way (RuntimeError)"
    assert_line "status 125"
    assert_line "subtree: "
    other_in init
    assert_equal "$(ctr_groups)" "./init "
}

@test "container: a read-only cgroup mount, and a controller the runtime did not give: one line, 125, nothing changed" {
    requires_container
    container "PIDS" '
        "$MCGEXEC" -e "group \"job\", pids: 8" -- true
        echo "ro status $?"' ro
    assert_success
    assert_line --regexp "^mcgexec: -e:1: mkdir /sys/fs/cgroup/init: Read-only file system \(the cgroup filesystem at /sys/fs/cgroup is mounted read-only, as in an unprivileged container or a Kubernetes pod: the container needs it read-write, as a privileged one has it\)\$"
    assert_line "ro status 125"
    assert_equal "$(ctr_groups)" ""
    kill "$(cat "$T/other")"
    # a container below a cgroup that gives its children pids only
    CTRNAME=$G-lean/ctr container "PIDS" '
        "$MCGEXEC" -e "group \"job\", memory: \"32M\"" -- true
        echo "status $?"'
    assert_success
    assert_line "mcgexec: controller 'memory' is not available in this container (not in /sys/fs/cgroup/cgroup.controllers): its runtime did not delegate it to the container's cgroup"
    assert_line "status 125"
    assert_equal "$(ctr_groups)" ""
    kill "$(cat "$T/other")"
}

@test "container: --record and --plot read the job's groups through the container's own namespace" {
    requires_container
    [ -x "$TOP/build/jobshape" ] || skip "no jobshape built"
    container "MEMORY PIDS CPU" '
        "$MCGEXEC" --rm --record="$T/r.json" --plot="$T/p.svg" --stats-format=json --stats="$T/s.json" \
            -e "group \"job\", memory: \"256M\", pids: 16, cpu: \"100%\"" -- \
            '"$TOP/build/jobshape"' sleep 0.5 hold 100 0.5 spin 0.5 >/dev/null'
    assert_success
    r=$T/r.json
    # the groups as the container sees them, the limits, the job's memory
    assert_equal "$(jq -r '.groups.memory, .limits.memory_max_bytes, .limits.pids_max' "$r" | tr '\n' ' ')" \
        "/sys/fs/cgroup/job 268435456 16 "
    record_peak_matches "$r" "$T/s.json"
    jq -e '.series.cpu_cores and .series.pids and .series.memory_some_s' "$r" >/dev/null ||
        fail "series missing: $(jq -c '.series | map_values(. != null)' "$r")"
    grep -q 'data-peak=' "$T/p.svg" || fail "no picture"
    other_in init
    assert_equal "$(ctr_groups)" "./init "
}
