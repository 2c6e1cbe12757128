#!/usr/bin/env bats
# The error contract: one line naming file, line, setting and value;
# exit 125; COMMAND not run; no group of this run left behind.

load helpers

@test "Ruby error: file, line, message and class" {
    p=$(policy web.rb <<EOF2
c = Cgroup::CPU.new("$G")
c.cfs_quota_us = 50000



c.quota = 5
EOF2
)
    run_marked "$p"
    assert_output "mcgexec: $p:6: undefined method 'quota=' for Cgroup::CPU (NoMethodError)"
    assert_not_ran
}

@test "syntax error: file and line" {
    p=$(policy <<'EOF2'
x = 1
def broken(
EOF2
)
    run_marked "$p"
    assert_output --regexp "^mcgexec: $p:[23]: syntax error"
    assert_not_ran
}

@test "a value the kernel refuses: setting, value, file and errno text; groups removed" {
    requires_root
    requires_controller cpu memory
    p=$(policy web.rb <<EOF2
m = Cgroup::MEMORY.new("$G")
m.limit_in_bytes = "64M"
m.create
c = Cgroup::CPU.new("$G")
c.cfs_quota_us = 500
c.create
EOF2
)
    run_marked "$p"
    if is_v2; then f=cpu.max; else f=cpu.cfs_quota_us; fi
    assert_output "mcgexec: $p:5: cpu.cfs_quota_us = 500: write $(group_dir cpu)/$f: Invalid argument"
    assert_not_ran
}

@test "CPUs or memory nodes the host lacks: the error names those there are" {
    requires_root
    requires_controller cpuset
    local cpus nodes
    cpus=$(cat /sys/devices/system/cpu/online)
    nodes=$(cat /sys/devices/system/node/online 2>/dev/null || echo unknown)
    run_marked -e "group '$G', cpus: '0-4095'"
    assert_output --regexp "^mcgexec: -e:1: cpuset\.cpus = \"0-4095\": write $(group_dir cpuset)/cpuset\.cpus: [^(]+ \(this host has CPUs $cpus; the parent group offers [0-9,-]+\)\$"
    assert_not_ran
    run_marked -e "group '$G', cpus: '0', mems: '63'"
    assert_output --regexp "^mcgexec: -e:1: cpuset\.mems = \"63\": write $(group_dir cpuset)/cpuset\.mems: [^(]+ \(this host has memory nodes $nodes; the parent group offers [0-9,-]+\)\$"
    assert_not_ran
}

@test "a controller that is not mounted (v1)" {
    requires_root
    is_v2 && skip "v1 only: on v2 see the next test"
    requires_controller blkio
    command -v unshare >/dev/null || skip "no unshare"
    # hide blkio in a private mount namespace; the host keeps its mount
    run unshare -m sh -c "umount $(mount_of blkio) && exec \"\$0\" -e \"m = Cgroup::MEMORY.new('$G'); m.create; Cgroup::BLKIO.new('$G')\" -- touch \"\$1/ran\"" "$MCGEXEC" "$BATS_TEST_TMPDIR"
    assert_output "mcgexec: controller 'blkio' is not mounted on this host"
    assert_not_ran
}

@test "a controller not delegated to the parent (v2)" {
    requires_root
    is_v2 || skip "v2 only"
    requires_controller blkio
    # $G/p: a group of the test's whose parent ($G) enables nothing for its
    # children; --root keeps mcgexec from changing anything above it
    mkdir -p "$(group_dir blkio)/p"
    own=$(sed -n 's/^0:://p' /proc/self/cgroup)
    run_marked --root "${own%/}/$G/p" -e "Cgroup::BLKIO.new('x').create"
    assert_output "mcgexec: controller 'io' is not available in $(group_dir blkio)/p (enable it in the parent's cgroup.subtree_control)"
    assert_equal "$status" 125
    [ ! -e "$BATS_TEST_TMPDIR/ran" ] || fail "COMMAND ran"
    [ ! -e "$(group_dir blkio)/p/x" ] || fail "group x was left"
}

@test "bad types, negative sizes and garbage units are caught before the kernel" {
    requires_controller memory pids cpu
    local cases=(
        'm.limit_in_bytes = [1]|memory.limit_in_bytes = [1]: not a size (use an Integer, a String such as "512M", or :max)'
        'm.limit_in_bytes = -5|memory.limit_in_bytes = -5: negative size (use -1 or :max for no limit)'
        'm.limit_in_bytes = "-2G"|memory.limit_in_bytes = "-2G": negative size (use -1 or :max for no limit)'
        'm.limit_in_bytes = "12Q"|memory.limit_in_bytes = "12Q": invalid size (use bytes, or a number with unit K, M, G or T, or "max")'
        'm.limit_in_bytes = "99999999999T"|memory.limit_in_bytes = "99999999999T": size too large'
        'm.oom_control = "yes"|memory.oom_control = "yes": not a boolean (use true or false)'
        'c.cfs_quota_us = "fast"|cpu.cfs_quota_us = "fast": not an integer'
        'c.shares = 1.5|cpu.shares = 1.5: not an integer'
        'x.max = -3|pids.max = -3: negative count (use -1 or :max for no limit)'
    )
    local case code want
    for case in "${cases[@]}"; do
        code=${case%%|*}
        want=${case#*|}
        run_marked -e "m = Cgroup::MEMORY.new('$G'); c = Cgroup::CPU.new('$G'); x = Cgroup::PIDS.new('$G')
$code
m.create"
        assert_output "mcgexec: -e:2: $want"
        assert_not_ran
    done
}

@test "bad group names are quoted in the error" {
    requires_controller memory
    local name
    # the name travels through the environment to keep shell quoting out of the way
    for name in '../../etc' 'a/../b' 'a//b' './x' $'bad\nname'; do
        MCG_NAME=$name run_marked -e 'Cgroup::MEMORY.new(ENV["MCG_NAME"])'
        assert_output --regexp '^mcgexec: -e:1: invalid group name ".*": group name (has|contains) '
        assert_not_ran
    done
    MCG_NAME='' run_marked -e 'Cgroup::MEMORY.new(ENV["MCG_NAME"])'
    assert_output 'mcgexec: -e:1: invalid group name "": empty group name'
    MCG_NAME="$(printf 'x%.0s' {1..256})" run_marked -e 'Cgroup::MEMORY.new(ENV["MCG_NAME"])'
    assert_output --partial "component longer than 255 bytes"
    assert_not_ran
}

@test "a long value is shortened in the error, and the reason at its end survives" {
    requires_controller cpuset
    run_marked -e "s = Cgroup::CPUSET.new('$G'); s.cpus = '0,' * 2500 + 'x'"
    assert_equal "$status" 125
    assert_output --regexp '^mcgexec: -e:1: cpuset\.cpus = "0,0,[0,]*\.\.\. \(5003 bytes\): invalid list \(use numbers and ranges such as "0-3,5"\)$'
    [ "${#output}" -lt 400 ] || fail "a message of ${#output} bytes"
    assert_not_ran
    run_marked -e "Cgroup::MEMORY.new('x' * 5000)"
    assert_output --regexp '^mcgexec: -e:1: invalid group name "x+\.\.\. \(5002 bytes\): group name has a component longer than 255 bytes$'
    assert_not_ran
}

@test "a policy that raises after creating and joining groups leaves nothing behind" {
    requires_root
    requires_controller cpu memory pids
    before=$(cat /proc/self/cgroup)
    p=$(policy <<EOF2
c = Cgroup::CPU.new("$G/a"); c.shares = 100; c.create; c.attach
m = Cgroup::MEMORY.new("$G/a/b"); m.limit_in_bytes = "32M"; m.create; m.attach
x = Cgroup::PIDS.new("$G"); x.create
raise ArgumentError, "policy changed its mind"
EOF2
)
    run_marked "$p"
    assert_output "mcgexec: $p:4: policy changed its mind (ArgumentError)"
    assert_not_ran
    assert_equal "$(cat /proc/self/cgroup)" "$before"
}

@test "another process the policy attached is moved back on failure" {
    requires_root
    requires_controller memory
    sleep 30 &
    pid=$!
    before=$(cg_line memory "$pid")
    run_marked -e "m = Cgroup::MEMORY.new('$G'); m.create; m.attach($pid)
raise 'stop'"
    after=$(cg_line memory "$pid")
    kill "$pid"
    assert_output "mcgexec: -e:2: stop (RuntimeError)"
    assert_not_ran
    assert_equal "$after" "$before"
}

@test "two unrelated groups in one hierarchy without attach is an error" {
    requires_root
    requires_controller memory
    run_marked -e "Cgroup::MEMORY.new('$G/a').create; Cgroup::MEMORY.new('$G/b').create"
    assert_output --regexp "^mcgexec: the policy set up .*/$G/a and .*/$G/b in one hierarchy and attached to neither"
    assert_not_ran
}

@test "a Cgroup::Error can be rescued by the policy" {
    requires_controller memory
    run "$MCGEXEC" -e "begin
  Cgroup::MEMORY.new('$G').limit_in_bytes = 'lots'
rescue Cgroup::Error => e
  puts 'rescued: ' + e.message
end" -- true
    assert_success
    assert_output --partial 'rescued: memory.limit_in_bytes = "lots": invalid size'
}

@test "a value set after create without modify, or on a group never created, is an error: 125, nothing left" {
    requires_root
    requires_controller memory
    run_marked -e "m = Cgroup::MEMORY.new('$G'); m.create
m.limit_in_bytes = '64M'"
    assert_output "mcgexec: -e:2: memory.limit_in_bytes = \"64M\" was set on group $G after its create and never written: call modify after setting it (or set it before create)"
    assert_not_ran
    run_marked -e "m = Cgroup::MEMORY.new('$G')
m.limit_in_bytes = '64M'"
    assert_output "mcgexec: -e:2: memory.limit_in_bytes = \"64M\" was set on group $G, which the policy never created: call create after setting it"
    assert_not_ran
    # a dry run says the same
    run "$MCGEXEC" -n -e "m = Cgroup::MEMORY.new('$G'); m.create; m.limit_in_bytes = '64M'" -- true
    assert_equal "$status" 125
    assert_line --partial "after its create and never written"
    # what does reach the kernel: modify after the setter, a value set
    # again before create, a group deleted with it
    run "$MCGEXEC" -e "m = Cgroup::MEMORY.new('$G'); m.limit_in_bytes = '16M'; m.limit_in_bytes = '64M'; m.create
m.limit_in_bytes = '32M'; m.modify
n = Cgroup::MEMORY.new('$G-gone'); n.create; n.limit_in_bytes = '8M'; n.delete
m.attach" -- cat "$(group_dir memory)/$(is_v2 && echo memory.max || echo memory.limit_in_bytes)"
    assert_success
    assert_output $((32 << 20))
}

@test "a refused --manager=systemd stays refused when the policy rescues the error" {
    is_v2 && [ -d /run/systemd/system ] && skip "systemd runs this cgroup v2 host: it is not refused"
    run_marked --manager=systemd -e "begin; Cgroup::PIDS.new('$G'); rescue Cgroup::Error => e; end
Cgroup::PIDS.new('$G').create"
    assert_output "mcgexec: -e:2: no cgroup manager: an earlier error said why"
    assert_not_ran
}

@test "--scope where systemd manages no cgroups (cgroup v1, v2 without systemd), or with --root or --manager=cgroupfs: one line, 125, nothing made" {
    is_v2 && [ -d /run/systemd/system ] && skip "systemd runs this cgroup v2 host: tests/runners.bats"
    local why="a cgroup v1 host: systemd delegates only on cgroup v2"
    is_v2 && why="systemd does not run this host"
    run_marked --scope -e "group '$G', memory: '64M'"
    assert_output "mcgexec: --scope: systemd manages no cgroups here ($why); leave --scope out"
    assert_not_ran
    run_marked --scope --manager=cgroupfs -e "group '$G', memory: '64M'"
    assert_output "mcgexec: --scope asks systemd for a scope, and --manager=cgroupfs asks it for nothing: give one of them"
    assert_not_ran
    run_marked --scope --root self -e "group '$G', memory: '64M'"
    assert_line --index 0 "mcgexec: --scope puts the groups below a scope of its own, --root below a cgroup you name: give one of them"
    assert_equal "$status" 125
    [ ! -e "$BATS_TEST_TMPDIR/ran" ] || fail "COMMAND ran"
}
