#!/usr/bin/env bats
# What mcgexec does as root: dropping to --user, --no-new-privs, refusing
# policies that others can write, never running COMMAND through a shell,
# and handing COMMAND exactly the descriptors its caller gave.

load helpers
bats_require_minimum_version 1.5.0

# A policy that puts mcgexec (and so COMMAND) into cpu group $G.
cpu_policy() {
    policy <<EOF2
c = Cgroup::CPU.new("$G")
c.cfs_quota_us = 50000
c.create
c.attach
EOF2
}

# status_field FILE KEY: the value columns of a /proc/PID/status line
status_field() {
    awk -v k="$2:" '$1 == k { $1 = ""; sub(/^ /, ""); print }' "$1"
}

sorted_words() {
    tr ' \t' '\n\n' | sed '/^$/d' | sort -n | tr '\n' ' '
}

@test "--user nobody: ids, groups, no capabilities, and still in the group root joined" {
    requires_root
    requires_controller cpu
    requires_nobody
    p=$(cpu_policy)
    out="$BATS_TEST_TMPDIR/out"
    # COMMAND cannot write into root's test directory: it prints instead
    run "$MCGEXEC" --user nobody "$p" -- cat /proc/self/status /proc/self/cgroup
    assert_success
    printf '%s\n' "$output" | grep -v '^[0-9]*:' > "$out.status"
    printf '%s\n' "$output" | grep '^[0-9]*:' > "$out.cgroup"
    uid=$(id -u nobody) gid=$(id -g nobody)
    assert_equal "$(status_field "$out.status" Uid)" "$uid $uid $uid $uid"
    assert_equal "$(status_field "$out.status" Gid)" "$gid $gid $gid $gid"
    assert_equal "$(status_field "$out.status" Groups | sorted_words)" "$(id -G nobody | sorted_words)"
    for cap in CapInh CapPrm CapEff CapAmb; do
        assert_equal "$(status_field "$out.status" $cap)" 0000000000000000
    done
    assert_equal "$(status_field "$out.status" NoNewPrivs)" 0
    grep -q "$(ctl cpu).*/$G\$" "$out.cgroup" || fail "COMMAND is not in group $G: $(cat "$out.cgroup")"
}

@test "--user UID:GID without a passwd entry; --no-new-privs sets the flag" {
    requires_root
    getent passwd 4242 >/dev/null && skip "uid 4242 exists here"
    out="$BATS_TEST_TMPDIR/status"
    run "$MCGEXEC" --user 4242:4343 --no-new-privs -e '' -- cat /proc/self/status
    assert_success
    printf '%s\n' "$output" > "$out"
    assert_equal "$(status_field "$out" Uid)" "4242 4242 4242 4242"
    assert_equal "$(status_field "$out" Gid)" "4343 4343 4343 4343"
    assert_equal "$(status_field "$out" Groups)" ""
    assert_equal "$(status_field "$out" NoNewPrivs)" 1
}

@test "--user sets HOME, USER, LOGNAME and SHELL from the account, as runuser -u does; the rest stays" {
    requires_root
    requires_nobody
    local home shell mode
    home=$(getent passwd nobody | cut -d: -f6)
    shell=$(getent passwd nobody | cut -d: -f7)
    for mode in "" --rm; do
        run env HOME=/root USER=root LOGNAME=root SHELL=/bin/bash MCGTEST_KEEP=kept \
            "$MCGEXEC" $mode --user nobody -e '' -- env
        assert_success
        assert_line "HOME=$home"
        assert_line "USER=nobody"
        assert_line "LOGNAME=nobody"
        assert_line "SHELL=${shell:-/bin/sh}"
        assert_line "MCGTEST_KEEP=kept"
        refute_line "HOME=/root"
    done
    # an id without a passwd entry: none of the four (not root's)
    run env HOME=/root USER=root "$MCGEXEC" --user 4242:4242 -e '' -- env
    assert_success
    refute_line --regexp "^(HOME|USER|LOGNAME|SHELL)="
    # without --user, the environment is the caller's
    run env HOME=/somewhere "$MCGEXEC" -e '' -- env
    assert_line "HOME=/somewhere"
}

@test "--no-new-privs alone: a setuid program gains nothing" {
    requires_root
    requires_nobody
    # a setuid-root copy of id(1), in a directory nobody can reach
    d=$(mktemp -d /tmp/mcgexec-suid.XXXXXX)
    CLEANUP_FILES=("$d/suid-id" "$d")
    chmod 755 "$d"
    cp "$(command -v id)" "$d/suid-id"
    chmod 4755 "$d/suid-id"
    mount_opts=$(findmnt -no OPTIONS -T "$d")
    [[ ",$mount_opts," != *",nosuid,"* ]] || skip "$d is on a nosuid mount"
    run "$MCGEXEC" --user nobody -e '' -- "$d/suid-id" -u
    assert_success
    assert_output 0                      # the setuid bit works without the flag
    run "$MCGEXEC" --user nobody --no-new-privs -e '' -- "$d/suid-id" -u
    assert_success
    assert_output "$(id -u nobody)"      # and gives nothing with it
}

@test "--user with --rm: COMMAND runs as the user, the root supervisor still removes the group" {
    requires_root
    requires_controller cpu
    requires_nobody
    p=$(cpu_policy)
    run "$MCGEXEC" --rm --user nobody "$p" -- sh -c 'id -u; exit 3'
    assert_equal "$status" 3
    assert_output "$(id -u nobody)"
    assert_no_test_groups
}

@test "the drop holds even when securebits would keep capabilities across setuid" {
    requires_root
    requires_setpriv
    setpriv --securebits +no_setuid_fixup true 2>/dev/null || skip "cannot set securebits here"
    out="$BATS_TEST_TMPDIR/status"
    run setpriv --securebits +no_setuid_fixup \
        "$MCGEXEC" --user nobody -e '' -- cat /proc/self/status
    assert_success
    printf '%s\n' "$output" > "$out"
    for cap in CapPrm CapEff CapAmb; do
        assert_equal "$(status_field "$out" $cap)" 0000000000000000
    done
}

@test "--user errors name the user; exit 125; nothing created, COMMAND not run" {
    requires_root
    requires_controller cpu
    p=$(cpu_policy)
    for spec in no-such-user-xyz nobody:no-such-group-xyz 4242 "" :0; do
        getent passwd 4242 >/dev/null && [ "$spec" = 4242 ] && continue
        run "$MCGEXEC" --user "$spec" "$p" -- touch "$BATS_TEST_TMPDIR/ran"
        assert_equal "$status" 125
        assert_output --regexp "^mcgexec: --user $spec: "
        assert_equal "${#lines[@]}" 1
        [ ! -e "$BATS_TEST_TMPDIR/ran" ] || fail "COMMAND ran with --user '$spec'"
        assert_no_test_groups
    done
}

# nss-systemd (Debian's default after files) answers for nobody even when
# /etc/passwd lacks it: $passwd is /etc/passwd without nobody, to bind over
# it in a private mount namespace; $output is what NSS then says of nobody.
# Skips where no module knows nobody then.
passwd_without_nobody() {
    requires_root
    command -v unshare >/dev/null || skip "needs unshare"
    passwd="$BATS_TEST_TMPDIR/passwd"
    grep -v '^nobody:' /etc/passwd > "$passwd"
    CLEANUP_FILES+=("$passwd")
    run unshare -m sh -c 'mount --bind "$1" /etc/passwd && getent passwd nobody' sh "$passwd"
    [ "$status" -eq 0 ] || skip "no NSS module here knows nobody without /etc/passwd"
}

@test "--user NAME that only an NSS module knows (not /etc/passwd) resolves through getent" {
    passwd_without_nobody
    local uid; uid=$(id -u nobody)
    run unshare -m sh -c 'mount --bind "$1" /etc/passwd && exec "$2" --user nobody -e "" id -u' \
        sh "$passwd" "$MCGEXEC"
    assert_success
    assert_output "$uid"
}

@test "a policy's own user lookup (File.expand_path(\"~USER\")) finds a user only an NSS module knows, and never crashes" {
    passwd_without_nobody
    # the home that module gives (nss-systemd's nobody has "/")
    local home; home=$(echo "$output" | cut -d: -f6)
    run unshare -m sh -c 'mount --bind "$1" /etc/passwd && exec "$2" -n -e "p File.expand_path(%q(~nobody))" -- true' \
        sh "$passwd" "$MCGEXEC"
    assert_success
    assert_line --index 0 "\"$home\""
}

@test "as root, a policy others can write is refused, naming the file and the fix" {
    requires_root
    requires_controller cpu
    p=$(cpu_policy)
    chmod 666 "$p"
    run "$MCGEXEC" "$p" -- touch "$BATS_TEST_TMPDIR/ran"
    assert_equal "$status" 125
    assert_output "mcgexec: policy $p is writable by group or others: as root, mcgexec runs only policies no one else can change (chmod go-w $p)"
    # named by a relative path: the file itself, not "the target of" a link
    run sh -c 'cd "$(dirname "$1")" && exec "$0" "$(basename "$1")" -- true' "$MCGEXEC" "$p"
    assert_equal "$status" 125
    assert_output "mcgexec: policy $(realpath "$p") is writable by group or others: as root, mcgexec runs only policies no one else can change (chmod go-w $(realpath "$p"))"
    # group-writable: refused for a shared group, fine for the owner's
    # private group (root's, here: its primary group, no other members)
    chmod 664 "$p"
    chgrp "$(id -g nobody)" "$p"
    run "$MCGEXEC" "$p" -- touch "$BATS_TEST_TMPDIR/ran"
    assert_equal "$status" 125
    assert_output --partial "is writable by group or others"
    if [ -z "$(getent group 0 | cut -d: -f4)" ]; then
        chgrp 0 "$p"
        run "$MCGEXEC" --rm "$p" -- true
        assert_success
    fi
    chmod 644 "$p"
    chown nobody "$p" 2>/dev/null || skip "no user 'nobody'"
    run "$MCGEXEC" "$p" -- touch "$BATS_TEST_TMPDIR/ran"
    assert_equal "$status" 125
    assert_output --partial "policy $p is owned by uid $(id -u nobody) (nobody), not by root"
    assert_output --partial "(chown root $p)"
    [ ! -e "$BATS_TEST_TMPDIR/ran" ]
    assert_no_test_groups
    chown root "$p"
    run "$MCGEXEC" "$p" -- true
    assert_success
}

@test "under sudo, the policy of the user who ran sudo is the caller's own" {
    requires_root
    requires_controller cpu
    requires_nobody
    d=$(mktemp -d /tmp/mcgexec-sudo.XXXXXX)
    CLEANUP_FILES=("$d/p.rb" "$d")
    chmod 755 "$d"
    chown nobody "$d"
    cp "$(cpu_policy)" "$d/p.rb"
    chown nobody "$d/p.rb"
    SUDO_UID=$(id -u nobody) run "$MCGEXEC" "$d/p.rb" -- true
    assert_success
    # someone else's file stays refused, sudo or not
    SUDO_UID=4242 run "$MCGEXEC" "$d/p.rb" -- true
    assert_equal "$status" 125
    assert_output --partial "not by root"
}

@test "as root, a directory above the policy that others can write is refused; a sticky one is not" {
    requires_root
    requires_controller cpu
    d="$BATS_TEST_TMPDIR/open/inner"
    mkdir -p "$d"
    p=$(cpu_policy)
    mv "$p" "$d/p.rb"
    chmod 777 "$BATS_TEST_TMPDIR/open"
    run "$MCGEXEC" "$d/p.rb" -- true
    assert_equal "$status" 125
    assert_output "mcgexec: directory $BATS_TEST_TMPDIR/open above policy $d/p.rb is writable by group or others: as root, mcgexec runs only policies no one else can change (chmod go-w $BATS_TEST_TMPDIR/open)"
    assert_no_test_groups
    chmod 1777 "$BATS_TEST_TMPDIR/open"   # like /tmp: others cannot replace root's entries
    run "$MCGEXEC" "$d/p.rb" -- true
    assert_success
}

@test "a symlinked policy is checked at its target" {
    requires_root
    requires_controller cpu
    mkdir -p "$BATS_TEST_TMPDIR/bad" "$BATS_TEST_TMPDIR/good"
    p=$(cpu_policy)
    cp "$p" "$BATS_TEST_TMPDIR/bad/p.rb"
    chmod 777 "$BATS_TEST_TMPDIR/bad"
    ln -s "$BATS_TEST_TMPDIR/bad/p.rb" "$BATS_TEST_TMPDIR/good/link.rb"
    run "$MCGEXEC" "$BATS_TEST_TMPDIR/good/link.rb" -- true
    assert_equal "$status" 125
    assert_output --partial "directory $BATS_TEST_TMPDIR/bad above policy $BATS_TEST_TMPDIR/bad/p.rb (the target of $BATS_TEST_TMPDIR/good/link.rb) is writable"
    # a link that others could change does not matter when its target is sound
    chmod 755 "$BATS_TEST_TMPDIR/bad"
    run "$MCGEXEC" "$BATS_TEST_TMPDIR/good/link.rb" -- true
    assert_success
}

@test "a non-root caller runs its own policy, or root's, but not one others can change" {
    requires_root
    requires_setpriv
    d=$(mktemp -d /tmp/mcgexec-nobody.XXXXXX)
    chown nobody "$d"
    printf 'p Mcgexec.dry_run?\n' > "$d/p.rb"
    chown nobody "$d/p.rb"
    run as_nobody "$MCGEXEC" -n "$d/p.rb"
    assert_success
    assert_output --partial true
    # root's file in the user's directory: trusted too
    printf 'p 1\n' > "$d/r.rb"
    run as_nobody "$MCGEXEC" -n "$d/r.rb"
    assert_success
    # a directory anyone can write (no sticky bit): anyone could swap the
    # policy a user runs, as they could root's
    chmod 777 "$d"
    run as_nobody "$MCGEXEC" -n "$d/p.rb"
    assert_equal "$status" 125
    assert_output "mcgexec: directory $d above policy $d/p.rb is writable by group or others: mcgexec runs only policies no one else can change (chmod go-w $d)"
    chmod 755 "$d"
    # another user's file
    chown daemon "$d/p.rb"
    run as_nobody "$MCGEXEC" -n "$d/p.rb"
    rm -rf "$d"
    assert_equal "$status" 125
    assert_output "mcgexec: policy $d/p.rb is owned by uid $(id -u daemon) (daemon), not by you (uid $(id -u nobody)) nor root: mcgexec runs only policies you or root control (copy it to a directory of yours)"
}

@test "a setuid or setgid mcgexec refuses before the policy runs: one line, 125" {
    requires_root
    requires_setpriv
    # (AddressSanitizer's runtime starts a setuid program again as the
    # caller: scripts/check.sh's build is never installed)
    ! grep -q __asan_init "$MCGEXEC" || skip "an AddressSanitizer build"
    local d
    d=$(mktemp -d /tmp/mcgexec-setid.XXXXXX)
    chmod 755 "$d"
    cp "$MCGEXEC" "$d/mcgexec"
    findmnt -no OPTIONS -T "$d" | grep -qw nosuid && { rm -rf "$d"; skip "$d is on a nosuid mount"; }
    local mode
    for mode in 4755 2755; do
        chmod "$mode" "$d/mcgexec"
        run as_nobody "$d/mcgexec" -e "File.open('$d/ran-$mode', 'w') { |f| f.puts 1 }" -- touch "$d/cmd-$mode"
        assert_equal "$status" 125
        assert_output --regexp "^mcgexec: refusing to run setuid, setgid or with file capabilities \(uid $(id -u nobody), effective uid [0-9]+\): a policy runs with mcgexec's privileges, so every user would have root; let users run it through sudo rules, or without root through systemd's user manager \(man mcgexec, SECURITY\)\$"
        [ ! -e "$d/ran-$mode" ] && [ ! -e "$d/cmd-$mode" ] || { rm -rf "$d"; fail "the policy or COMMAND ran"; }
    done
    # the same file without the bits runs (as the user, who cannot write $d)
    chmod 755 "$d/mcgexec"
    run as_nobody "$d/mcgexec" -n -e "p Mcgexec.dry_run?" -- true
    rm -rf "$d"
    assert_success
    assert_line true
}

@test "COMMAND never goes through a shell: a file without #! is an error, not a script" {
    printf 'touch %s\n' "$BATS_TEST_TMPDIR/ran" > "$BATS_TEST_TMPDIR/script"
    chmod +x "$BATS_TEST_TMPDIR/script"
    for wait in "" --wait; do
        run "$MCGEXEC" $wait -e '' -- "$BATS_TEST_TMPDIR/script"
        assert_equal "$status" 126
        assert_output "mcgexec: failed to execute $BATS_TEST_TMPDIR/script: Exec format error (no #! line? mcgexec never runs COMMAND through a shell)"
        [ ! -e "$BATS_TEST_TMPDIR/ran" ] || fail "a shell ran the file"
        # found through PATH, the same
        PATH="$BATS_TEST_TMPDIR:$PATH" run "$MCGEXEC" $wait -e '' -- script
        assert_equal "$status" 126
        [ ! -e "$BATS_TEST_TMPDIR/ran" ] || fail "a shell ran the file"
    done
    # a command line is one program name, never shell syntax
    run -127 "$MCGEXEC" -e '' -- "touch $BATS_TEST_TMPDIR/ran; true"
    assert_equal "$status" 127
    [ ! -e "$BATS_TEST_TMPDIR/ran" ]
}

@test "PATH lookup as execvp(3): skips what it cannot run, 126 for a found file without x" {
    mkdir -p "$BATS_TEST_TMPDIR/a" "$BATS_TEST_TMPDIR/b"
    printf '#!/bin/sh\necho from-b\n' > "$BATS_TEST_TMPDIR/b/tool"
    chmod +x "$BATS_TEST_TMPDIR/b/tool"
    printf '#!/bin/sh\necho from-a\n' > "$BATS_TEST_TMPDIR/a/tool"
    chmod 644 "$BATS_TEST_TMPDIR/a/tool"
    PATH="$BATS_TEST_TMPDIR/a:$BATS_TEST_TMPDIR/b:/usr/bin:/bin" run "$MCGEXEC" -e '' -- tool
    assert_success
    assert_output from-b
    if [ "$(id -u)" -ne 0 ]; then   # root may run any file that has an x bit
        PATH="$BATS_TEST_TMPDIR/a" run "$MCGEXEC" -e '' -- tool
        assert_equal "$status" 126
    fi
    chmod 644 "$BATS_TEST_TMPDIR/b/tool"
    PATH="$BATS_TEST_TMPDIR/a:$BATS_TEST_TMPDIR/b" run "$MCGEXEC" -e '' -- tool
    assert_equal "$status" 126
    assert_output --partial "Permission denied"
}

# The descriptors a process has, as "N -> target" lines (without the one
# ls opens to read /proc/self/fd).
fds_of_command() {
    "$@" sh -c 'for f in /proc/$$/fd/*; do printf "%s -> %s\n" "${f##*/}" "$(readlink "$f")"; done' |
        grep -v -e '-> /proc/[0-9]*/fd$' | sed 's/pipe:\[[0-9]*\]/pipe/' | sort
}

@test "COMMAND inherits exactly the caller's descriptors, also when the policy left files open" {
    requires_root
    requires_controller cpu
    p=$(policy <<EOF2
\$kept = File.open("$BATS_TEST_DIRNAME/helpers.bash")
\$also = File.open("/proc/self/mounts")
c = Cgroup::CPU.new("$G")
c.create
c.attach
EOF2
)
    exec 7</dev/null 9>"$BATS_TEST_TMPDIR/nine"
    want=$(fds_of_command env)
    [[ "$want" == *"7 -> /dev/null"* ]] || fail "the test's own fd 7 is missing: $want"
    for mode in "" --wait --rm "--stats=$BATS_TEST_TMPDIR/stats"; do
        got=$(fds_of_command "$MCGEXEC" $mode "$p" --)
        [ "$got" = "$want" ] || fail "with '$mode' COMMAND got:
$got
expected:
$want"
    done
    exec 7<&- 9>&-
}

@test "--user as a non-root caller: refused before the policy runs" {
    requires_root
    requires_setpriv
    run as_nobody \
        "$MCGEXEC" --user root -e 'puts "the policy ran"' -- true
    assert_equal "$status" 125
    assert_output "mcgexec: --user root: only root can run COMMAND as another user"
}
