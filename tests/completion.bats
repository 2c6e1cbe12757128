#!/usr/bin/env bats
# Bash completion (completion/mcgexec.bash): options, their arguments,
# policy files, then the command.

load helpers

# complete WORD...: the candidates for the last word of "mcgexec WORD..."
complete_words() {
    bash -c '
        source "$1"; shift
        COMP_WORDS=(mcgexec "$@"); COMP_CWORD=$#
        _mcgexec
        printf "%s\n" "${COMPREPLY[@]}" | sort -u' sh "$TOP/completion/mcgexec.bash" "$@"
}

@test "completion: options, and the values of --stats-format" {
    run complete_words --st
    assert_line --stats
    assert_line --stats=
    assert_line --stats-format=
    refute_line --rm
    run complete_words --stats-format=j
    assert_output json
    run complete_words --no
    assert_output --no-new-privs
    run complete_words --manager=s
    assert_output systemd
    run complete_words --manager c
    assert_output cgroupfs
}

@test "completion: POLICY is a .rb or .mrb file (or a directory), then COMMAND" {
    cd "$BATS_TEST_TMPDIR"
    touch web.rb web.mrb notes.txt
    mkdir sub
    run complete_words --rm ""
    assert_line web.rb
    assert_line web.mrb
    assert_line sub
    refute_line notes.txt
    run complete_words -v web.rb -- sle
    assert_line sleep
    run complete_words -e 'p 1' -- ech
    assert_line echo
}

@test "completion: --user offers users, and groups after the colon; --root offers self" {
    run complete_words --user roo
    assert_line root
    run complete_words --user root:roo
    assert_line root:root
    run complete_words --root se
    assert_line self
}
