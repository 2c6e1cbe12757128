#!/usr/bin/env bats
# Command line, exit statuses, and what COMMAND inherits.

load helpers
bats_require_minimum_version 1.5.0

@test "--help prints usage on stdout and exits 0" {
    run "$MCGEXEC" --help
    assert_success
    assert_output --partial "Usage:"
    assert_output --partial "--dry-run"
    assert_output --partial "--root"
}

@test "--version names mcgexec and mruby" {
    run "$MCGEXEC" --version
    assert_success
    assert_output --regexp '^mcgexec [0-9]+\.[0-9]+\.[0-9]+ \(mruby 3\.[0-9.]+, (mruby_config\.rb|system libmruby)\)$'
}

@test "misuse: no policy, no command, unknown option: 125 and a hint" {
    run "$MCGEXEC"
    assert_equal "$status" 125
    assert_output --partial "no POLICY given"
    assert_output --partial "Try 'mcgexec --help'"
    run "$MCGEXEC" -e ''
    assert_equal "$status" 125
    assert_output --partial "no COMMAND given"
    run "$MCGEXEC" --bogus -e '' true
    assert_equal "$status" 125
    # getopt's line names mcgexec, not the path it was run by
    assert_line --index 0 "mcgexec: unrecognized option '--bogus'"
    assert_line --index 1 "Try 'mcgexec --help' for more information."
    run "$MCGEXEC" -t
    assert_line --index 0 "mcgexec: option requires an argument -- 't'"
    run "$MCGEXEC" --root relative/path -e '' true
    assert_equal "$status" 125
    assert_output --partial "absolute path or 'self'"
}

@test "COMMAND's exit status passes through; 127 not found; 126 not executable" {
    run "$MCGEXEC" -e '' -- sh -c 'exit 42'
    assert_equal "$status" 42
    run "$MCGEXEC" -e '' -- true
    assert_success
    run -127 "$MCGEXEC" -e '' -- mcgexec-no-such-command-xyz
    assert_equal "$status" 127
    assert_output --partial "mcgexec-no-such-command-xyz: No such file or directory"
    printf 'echo hi\n' > "$BATS_TEST_TMPDIR/noexec"
    chmod 0644 "$BATS_TEST_TMPDIR/noexec"
    run "$MCGEXEC" -e '' -- "$BATS_TEST_TMPDIR/noexec"
    assert_equal "$status" 126
    run "$MCGEXEC" -e '' -- "$BATS_TEST_TMPDIR"
    assert_equal "$status" 126
}

@test "a COMMAND that cannot run leaves no group behind" {
    requires_root
    requires_controller memory
    run -127 "$MCGEXEC" -e "Cgroup::MEMORY.new('$G').create" -- mcgexec-no-such-command-xyz
    assert_equal "$status" 127
    assert_no_test_groups
}

@test "options after POLICY belong to COMMAND, with or without --" {
    run "$MCGEXEC" -e '' printf '%s|' -v --help -n
    assert_success
    assert_output "-v|--help|-n|"
    p=$(policy <<< '')
    run "$MCGEXEC" "$p" -- printf '%s|' -- -x
    assert_success
    assert_output -- "--|-x|"
}

@test "argv with spaces, quotes, empty strings and newlines arrives intact" {
    run "$MCGEXEC" -e '' -- printf '<%s>' "a b" "" "it's" '"q"' $'line1\nline2' '$HOME' '*'
    assert_success
    assert_output $'<a b><><it\'s><"q"><line1\nline2><$HOME><*>'
}

@test "stdin, stdout, environment, open descriptors and pid are preserved" {
    run bash -c 'echo from-stdin | "$0" -e "" -- cat' "$MCGEXEC"
    assert_output "from-stdin"
    run env MCG_TEST_VAR="x y" "$MCGEXEC" -e '' -- sh -c 'echo "$MCG_TEST_VAR"'
    assert_output "x y"
    # fd 7 opened by the caller reaches the command
    run bash -c 'exec 7>"$1/fd7"; "$0" -e "" -- sh -c "echo via-fd7 >&7"; cat "$1/fd7"' "$MCGEXEC" "$BATS_TEST_TMPDIR"
    assert_output "via-fd7"
    # mcgexec execs in place: the command has the pid mcgexec was started with
    run bash -c '"$0" -e "" -- sh -c "echo \$\$" & echo "$!"; wait' "$MCGEXEC"
    assert_equal "${lines[0]}" "${lines[1]}"
}

@test "files a policy opened do not reach the command; children it started are waited for first" {
    echo secret > "$BATS_TEST_TMPDIR/file"
    # the command's descriptors: the same with a policy that keeps a file
    # and a pipe open as with an empty one, in place and with --wait
    local mode none some
    for mode in "" --wait; do
        # shellcheck disable=SC2086
        none=$("$MCGEXEC" $mode -e "" -- sh -c 'ls /proc/self/fd/ | sort -n | tr "\n" " "')
        # shellcheck disable=SC2086
        some=$("$MCGEXEC" $mode -e "\$keep = File.open('$BATS_TEST_TMPDIR/file'); \$w = IO.pipe" -- \
            sh -c 'ls /proc/self/fd/ | sort -n | tr "\n" " "')
        assert_equal "$some" "$none"
    done
    # IO.popen's child ends before COMMAND starts (mcgexec waits for it)
    run "$MCGEXEC" -e "IO.popen('sleep 0.3; touch $BATS_TEST_TMPDIR/popen-done')" -- \
        sh -c "test -e $BATS_TEST_TMPDIR/popen-done && echo waited"
    assert_success
    assert_output "waited"
}

@test "the policy reads the command line (ARGV) and the environment (ENV)" {
    p=$(policy <<'EOF2'
raise "ARGV is #{ARGV.inspect}" unless ARGV == ["echo", "a b", ""]
raise "ENV[]" unless ENV["MCG_T"] == "v1"
raise "fetch" unless ENV.fetch("MCG_NOPE", "dflt") == "dflt"
raise "key?" unless ENV.key?("MCG_T") && !ENV.key?("MCG_NOPE")
raise "to_h" unless ENV.to_h["MCG_T"] == "v1"
raise "frozen" unless ARGV.frozen?
begin
  ENV["X"] = "1"
  raise "ENV should be read-only"
rescue RuntimeError => e
  raise unless e.message.include?("read-only")
end
puts "policy ok #{Mcgexec.pid == Mcgexec.pid}"
EOF2
)
    MCG_T=v1 run "$MCGEXEC" "$p" -- echo "a b" ""
    assert_success
    assert_line "policy ok true"
}

@test "a missing, unreadable or directory policy is a one-line error, 125" {
    run "$MCGEXEC" "$BATS_TEST_TMPDIR/none.rb" -- true
    assert_equal "$status" 125
    assert_output "mcgexec: cannot read policy $BATS_TEST_TMPDIR/none.rb: No such file or directory"
    run "$MCGEXEC" "$BATS_TEST_TMPDIR" -- true
    assert_equal "$status" 125
    assert_output "mcgexec: cannot read policy $BATS_TEST_TMPDIR: Is a directory"
}

@test "the man page documents every method of the settings table" {
    local missing=""
    while read -r method; do
        grep -q "^\.B ${method}=\?\$" "$TOP/man/mcgexec.1" || missing="$missing $method"
    done < <(sed -n 's/^ *{ MCG_[A-Z]*, "\([a-z_]*\)", ".*/\1/p' "$TOP/src/settings/settings.c")
    [ -z "$missing" ] || fail "not in man/mcgexec.1:$missing"
    command -v man >/dev/null || skip "no man to render the page"
    run man -l "$TOP/man/mcgexec.1"
    assert_success
    refute_output --partial "warning"
}

@test "a policy precompiled with mrbc runs like its source" {
    requires_root
    requires_controller memory
    command -v mrbc >/dev/null || skip "no mrbc"
    printf 'm = Cgroup::MEMORY.new("%s")\nm.limit_in_bytes = "48M"\nm.create\n' "$G" > "$BATS_TEST_TMPDIR/p.rb"
    mrbc -o "$BATS_TEST_TMPDIR/p.mrb" "$BATS_TEST_TMPDIR/p.rb"
    run "$MCGEXEC" "$BATS_TEST_TMPDIR/p.mrb" -- cat /proc/self/cgroup
    assert_success
    assert_line --regexp ":$(is_v2 || echo memory):/(.*/)?$G\$"
    check_value memory memory.limit_in_bytes $((48 << 20)) memory.max $((48 << 20))
}

@test "every long option of --help is in the man page" {
    local opt missing=""
    for opt in $("$MCGEXEC" --help | grep -o -- '--[a-z][a-z-]*' | sort -u); do
        grep -q -- "$(printf '%s' "$opt" | sed 's/-/\\\\-/g')" "$TOP/man/mcgexec.1" ||
            missing+=" $opt"
    done
    [ -z "$missing" ] || fail "not in man/mcgexec.1:$missing"
}

@test "--list-settings: every row is a method the policy API has, with its files" {
    run "$MCGEXEC" --list-settings
    assert_success
    assert_line --index 0 --regexp '^METHOD +ACCESS +V1 FILE +V2 FILE +CONCISE +UNIT$'
    # the concise form's names, as the man page uses them
    assert_line --regexp '^Cgroup::MEMORY#limit_in_bytes .* memory +[a-z]'
    assert_line --regexp '^Cgroup::MEMORY#high .* memory high: +[a-z]'
    assert_line --regexp '^Cgroup::CPU#rt_period_us .* - +microseconds$'
    local n=$((${#lines[@]} - 1))
    [ "$n" -ge 25 ] || fail "only $n settings listed"
    # each listed method exists, as a getter where readable, a setter where writable
    local code="" line cls meth access file
    for line in "${lines[@]:1}"; do
        read -r cls access file _ <<< "$line"
        meth=${cls#*#}
        cls=${cls%%#*}
        [[ "$access" == *r* ]] && code+="raise '$cls##$meth' unless $cls.new('x').respond_to?(:$meth)"$'\n'
        [[ "$access" == *w* ]] && code+="raise '$cls##$meth=' unless $cls.new('x').respond_to?(:$meth=)"$'\n'
        # a v1 file, or "-" for a setting cgroup v1 has no meaning for
        [[ "$file" == *.* || "$file" == - ]] || fail "no v1 file in: $line"
    done
    run "$MCGEXEC" -n -e "$code"
    assert_success
}
