#!/usr/bin/env bats
# The corpus of bad policies in tests/bad-policies/.  Each file says in its
# first two lines the exit status and the one-line error (an extended
# regular expression) it must give; @G@ stands for this test's unique group
# name and @FILE@ for the policy's path; a third line "# dry-run: passes"
# marks an error only the kernel can find.  Every case must also leave no
# group behind and never run COMMAND.

load helpers

CORPUS="$BATS_TEST_DIRNAME/bad-policies"

# The regex-quoted form of a literal string.
re_quote() {
    printf '%s' "$1" | sed 's/[][\.*^$()+?{}|]/\\&/g'
}

# check_case FILE: run one case; prints what went wrong, if anything.
check_case() {
    local src=$1 name want_status want_re p out status
    name=$(basename "$src")
    p="$BATS_TEST_TMPDIR/$name"
    sed "s/@G@/$G/g" "$src" > "$p"
    want_status=$(sed -n '1s/^# expect-status: //p' "$src")
    want_re=$(sed -n '2s/^# expect: //p' "$src")
    [ -n "$want_status" ] && [ -n "$want_re" ] || { echo "$name: no expect header"; return; }
    want_re=${want_re//@G@/$G}
    want_re=${want_re//@FILE@/$(re_quote "$p")}
    rm -f "$BATS_TEST_TMPDIR/ran"
    status=0
    out=$("$MCGEXEC" "$p" -- touch "$BATS_TEST_TMPDIR/ran" 2>&1) || status=$?
    [ "$status" = "$want_status" ] || echo "$name: status $status, expected $want_status"
    [ "$(printf '%s\n' "$out" | wc -l)" -eq 1 ] || echo "$name: more than one line: $out"
    [[ "$out" =~ $want_re ]] || echo "$name: output '$out' does not match '$want_re'"
    [ ! -e "$BATS_TEST_TMPDIR/ran" ] || echo "$name: COMMAND ran"
    [ "$(count_test_groups)" -eq 0 ] || echo "$name: left a group behind"
    remove_test_groups
}

@test "every bad policy in the corpus: its status, its one line, no COMMAND, no group" {
    requires_root
    requires_controller cpu memory
    local f problems="" n=0
    for f in "$CORPUS"/*.rb; do
        problems+=$(check_case "$f")
        n=$((n + 1))
    done
    [ "$n" -ge 20 ] || fail "the corpus has only $n cases"
    [ -z "$problems" ] || fail "$problems"
}

@test "the corpus runs the same in --dry-run: same line, nothing created" {
    local f name p want_re out status problems=""
    for f in "$CORPUS"/*.rb; do
        name=$(basename "$f")
        p="$BATS_TEST_TMPDIR/$name"
        sed "s/@G@/$G/g" "$f" > "$p"
        sed -n '3p' "$f" | grep -q '^# dry-run: passes' && continue
        want_re=$(sed -n '2s/^# expect: //p' "$f")
        want_re=${want_re//@G@/$G}
        want_re=${want_re//@FILE@/$(re_quote "$p")}
        status=0
        out=$("$MCGEXEC" -n "$p" -- true 2>&1 >/dev/null) || status=$?
        [ "$status" = 125 ] || problems+="$name: dry-run status $status; "
        # a dry run does not reach the kernel, so only errors mcgexec
        # finds itself must match; the kernel's own refusals differ
        [[ "$out" =~ $want_re ]] || [[ "$want_re" == *"write "* ]] ||
            problems+="$name: dry-run said '$out'; "
    done
    assert_no_test_groups
    [ -z "$problems" ] || fail "$problems"
}

@test "corrupt bytecode: one line naming the file and the mruby version" {
    p="$BATS_TEST_TMPDIR/broken.mrb"
    printf 'RITE0300\0\0\0\40junkjunkjunkjunkjunkjunkjunk' > "$p"
    run "$MCGEXEC" "$p" -- touch "$BATS_TEST_TMPDIR/ran"
    assert_equal "$status" 125
    assert_output --regexp "^mcgexec: $p: not valid bytecode for mruby [0-9.]+ \(RITE\)"
    [ ! -e "$BATS_TEST_TMPDIR/ran" ]
}

@test "truncated bytecode of a real policy: the same one line" {
    command -v mrbc >/dev/null || skip "mrbc is not installed"
    p=$(policy ok.rb <<EOF2
c = Cgroup::CPU.new("$G")
c.cfs_quota_us = 50000
c.create
EOF2
)
    mrbc -o "$BATS_TEST_TMPDIR/ok.mrb" "$p"
    head -c 40 "$BATS_TEST_TMPDIR/ok.mrb" > "$BATS_TEST_TMPDIR/cut.mrb"
    run "$MCGEXEC" "$BATS_TEST_TMPDIR/cut.mrb" -- touch "$BATS_TEST_TMPDIR/ran"
    assert_equal "$status" 125
    assert_output --regexp "not valid bytecode for mruby"
    [ ! -e "$BATS_TEST_TMPDIR/ran" ]
    assert_no_test_groups
}
