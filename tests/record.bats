#!/usr/bin/env bats
# --record: what the job used over time, from its own groups, held to jobs
# of known shape (tests/tools/jobshape.c, which prints when each step
# began).  CPU is compared with CPU (the job spins for its own CPU time),
# never with the wall clock.

load helpers
bats_require_minimum_version 1.5.0

JOBSHAPE=${JOBSHAPE:-$TOP/build/jobshape}

# The job's group in cpu, cpuacct and memory (cpuacct: v1 hosts where it
# is not mounted with cpu; on v2 the same group).
record_policy() {
    echo "group '$G/job', memory: '${1:-512M}', pids: 100; Cgroup::CPUACCT.new('$G/job').create"
}

# when STEP began, in seconds since the job's start, from jobshape's lines
began() {
    awk -v s="$1" '$2 == s { print $1; exit }' "$BATS_TEST_TMPDIR/out"
}

# jq over the record, with the series zipped into samples
# ({t, dt, cpu, mem, ...} objects: dt is the bucket's width)
samples() {
    jq -c '.series as $s | [range(0; .samples) | . as $i |
        { t: $s.t_s[$i], dt: ($s.t_s[$i] - (if $i > 0 then $s.t_s[$i - 1] else 0 end)),
          cpu: (if $s.cpu_cores then $s.cpu_cores[$i] else null end),
          mem: $s.memory_bytes[$i] }]' "$BATS_TEST_TMPDIR/r.json"
}

@test "--record: a job of known shape (sleep, hold 100 MiB, spin one CPU second) is in the record where it happened" {
    requires_root
    requires_controller memory cpuacct
    [ -x "$JOBSHAPE" ] || skip "no jobshape built"
    # (a fixed interval: each step's second holds some ten samples here,
    # however much a sample costs on this machine; the adaptive interval
    # is held to its rules by the tests below)
    run "$MCGEXEC" --rm --stats-format=json --stats="$BATS_TEST_TMPDIR/s.json" \
        --record="$BATS_TEST_TMPDIR/r.json" --interval 100ms -e "$(record_policy)" -- \
        sh -c "'$JOBSHAPE' sleep 1 hold 100 1 spin 1 > '$BATS_TEST_TMPDIR/out'"
    assert_success
    r=$BATS_TEST_TMPDIR/r.json
    assert_equal "$(jq -r '.format + " " + (.version | tostring)' "$r")" "mcgexec-record 1"
    assert_equal "$(jq -r .status "$r")" 0
    assert_equal "$(jq -r '.limits.memory_max_bytes' "$r")" $((512 << 20))
    assert_equal "$(jq -r '[.events[] | .kind] | join(" ")' "$r")" "exit"
    n=$(jq -r .samples "$r")
    [ "$n" -ge 20 ] && [ "$n" -le 1024 ] || fail "$n samples"
    sleep=$(began sleep) hold=$(began hold) held=$(began held) freed=$(began freed)
    spin=$(began spin) end=$(began end)
    samples > "$BATS_TEST_TMPDIR/samples"
    # memory: near 100 MiB in the second it was held (from the moment all
    # of it was touched, which a busy machine delays), its maximum within
    # 10% of --stats' peak; little before and after
    record_peak_matches "$r" "$BATS_TEST_TMPDIR/s.json"
    # (the job's clock starts after the record's: by no more than its exit
    # in the record is after its own end.  A window that begins at one of
    # the job's steps adds that lag; one that ends at a step needs none.
    # A bucket holds the largest memory of its whole interval, so the
    # window after the free takes the buckets that begin after it.)
    lag=$(jq -r --argjson e "$end" '.events[] | select(.kind == "exit") | .t_s - $e' "$r")
    mem=$(jq -r --argjson a "$held" --argjson l "$lag" --argjson b "$freed" \
        '[.[] | select(.t > $a + $l and .t < $b - 0.05) | .mem] | min' "$BATS_TEST_TMPDIR/samples")
    [ "$mem" != null ] && [ "$mem" -ge $((90 << 20)) ] || fail "memory while held: $mem"
    before=$(jq -r --argjson a "$hold" '[.[] | select(.t < $a - 0.05) | .mem] | max' "$BATS_TEST_TMPDIR/samples")
    after=$(jq -r --argjson a "$freed" --argjson l "$lag" \
        '[.[] | select(.t - .dt > $a + $l + 0.05) | .mem] | max' "$BATS_TEST_TMPDIR/samples")
    [ "$before" -lt $((20 << 20)) ] && [ "$after" -lt $((20 << 20)) ] ||
        fail "memory before the hold $before, after the free $after"
    # CPU: the spin's CPU second in the buckets after it began; near none
    # in the buckets wholly inside the sleep (not those before it, which
    # hold the job's start: an emulated guest's shell and exec take a
    # tenth of a second or more); the whole record's CPU is --stats' CPU
    spun=$(jq -r --argjson a "$spin" '[.[] | select(.t > $a) | .cpu * .dt] | add' "$BATS_TEST_TMPDIR/samples")
    slept=$(jq -r --argjson a "$sleep" --argjson l "$lag" --argjson b "$hold" \
        '[.[] | select(.t - .dt >= $a + $l and .t < $b - 0.05) | .cpu * .dt] | add' "$BATS_TEST_TMPDIR/samples")
    [ "$slept" != null ] || fail "no bucket wholly inside the sleep"
    total=$(jq -r '[.[] | .cpu * .dt] | add' "$BATS_TEST_TMPDIR/samples")
    stats=$(jq -r '.cpu_user_s + .cpu_system_s' "$BATS_TEST_TMPDIR/s.json")
    awk -v s="$spun" -v z="$slept" -v t="$total" -v c="$stats" \
        'BEGIN { exit !(s >= 0.9 && s <= 1.3 && z < 0.1 && t >= 0.85 * c && t <= 1.15 * c) }' ||
        fail "CPU seconds: $spun in the spin, $slept asleep, $total in all, --stats $stats"
    assert_no_test_groups
}

@test "--record: an OOM kill is an event of the interval it happened in" {
    requires_root
    requires_controller memory
    [ -x "$JOBSHAPE" ] || skip "no jobshape built"
    run "$MCGEXEC" --rm --record="$BATS_TEST_TMPDIR/r.json" -e "$(record_policy 32M)" -- \
        sh -c "exec '$JOBSHAPE' sleep 0.5 grow 200 > '$BATS_TEST_TMPDIR/out'"
    assert_equal "$status" 137
    grow=$(began grow)
    r=$BATS_TEST_TMPDIR/r.json
    assert_equal "$(jq -r .oom_killed "$r")" true
    kill=$(jq -c '[.events[] | select(.kind == "oom_kill")] | first' "$r")
    [ "$kill" != null ] || fail "no oom_kill event: $(jq -c .events "$r")"
    t=$(jq -r .t_s <<< "$kill") since=$(jq -r .since_s <<< "$kill")
    # seen at the first sample after it, which was taken after the growth began
    awk -v t="$t" -v s="$since" -v g="$grow" 'BEGIN { exit !(t >= g && s < t && t - s < 2) }' ||
        fail "the kill seen at $t (after $since); the growth began at $grow"
    assert_equal "$(jq -r '.events[-1].kind + " " + .events[-1].detail' "$r")" "exit SIGKILL"
    assert_no_test_groups
}

@test "--record: a --timeout run's record has its signal and the SIGKILL after the grace" {
    requires_root
    requires_controller memory
    run "$MCGEXEC" --rm --timeout 1 --kill-after 1 --record="$BATS_TEST_TMPDIR/r.json" \
        --plot="$BATS_TEST_TMPDIR/p.svg" -e "$(record_policy)" -- \
        sh -c 'trap "" TERM; while :; do sleep 0.1; done'
    assert_equal "$status" 124
    r=$BATS_TEST_TMPDIR/r.json
    # the picture marks both, in order
    assert_equal "$(grep -o 'class="event" data-kind="[a-z]*"' "$BATS_TEST_TMPDIR/p.svg" | cut -d'"' -f4 | tr '\n' ' ')" \
        "timeout kill "
    grep -q ">timed out (status 124) after " "$BATS_TEST_TMPDIR/p.svg" || fail "the title does not say it timed out"
    assert_equal "$(jq -r '[.events[] | .kind + " " + .detail] | join(", ")' "$r")" \
        "timeout SIGTERM, kill SIGKILL, exit SIGKILL"
    assert_equal "$(jq -r .timed_out "$r")" true
    jq -e '(.events[0].t_s >= 1) and (.events[1].t_s >= .events[0].t_s + 1)' "$r" >/dev/null ||
        fail "event times: $(jq -c .events "$r")"
    assert_no_test_groups
}

@test "--record: memory stays fixed, whatever the job's length: neighbours merge, sums and maxima kept" {
    requires_root
    requires_controller memory cpuacct
    [ -x "$JOBSHAPE" ] || skip "no jobshape built"
    # a fixed 1 ms interval over 3 s: some 3000 samples into 1024 places
    run "$MCGEXEC" --rm --interval 1ms --stats-format=json --stats="$BATS_TEST_TMPDIR/s.json" \
        --record="$BATS_TEST_TMPDIR/r.json" -e "$(record_policy)" -- \
        sh -c "'$JOBSHAPE' hold 60 1 spin 1 sleep 1 > '$BATS_TEST_TMPDIR/out'"
    assert_success
    r=$BATS_TEST_TMPDIR/r.json
    n=$(jq -r .samples "$r")
    [ "$n" -ge 512 ] && [ "$n" -le 1024 ] || fail "$n samples"
    assert_equal "$(jq -r .interval_s "$r")" 0.001
    jq -e '.series.t_s as $t | [range(1; $t | length) | $t[.] > $t[. - 1]] | all' "$r" >/dev/null ||
        fail "times do not grow"
    samples > "$BATS_TEST_TMPDIR/samples"
    total=$(jq -r '[.[] | .cpu * .dt] | add' "$BATS_TEST_TMPDIR/samples")
    stats=$(jq -r '.cpu_user_s + .cpu_system_s' "$BATS_TEST_TMPDIR/s.json")
    max=$(jq -r '.series.memory_bytes | max' "$r")
    awk -v t="$total" -v c="$stats" -v m="$max" \
        'BEGIN { exit !(t >= 0.85 * c && t <= 1.15 * c && m >= 55 * 2^20) }' ||
        fail "CPU $total s (--stats $stats), memory maximum $max"
    [ "$(stat -c %s "$r")" -lt $((500 << 10)) ] || fail "the record is $(stat -c %s "$r") bytes"
}

@test "--record and --interval: bad values are one line and 125, before anything changes" {
    run "$MCGEXEC" --interval 5x -e '' true
    assert_equal "$status" 125
    assert_output --partial "mcgexec: --interval 5x: invalid duration"
    run "$MCGEXEC" --record="$BATS_TEST_TMPDIR/no/such/dir/r.json" -e "$(record_policy)" -- true
    assert_equal "$status" 125
    assert_output --partial "cannot write the record to $BATS_TEST_TMPDIR/no/such/dir/r.json"
    assert_no_test_groups
}

# The memory panel of the SVG, one element a line.
memory_panel() {
    sed -n '/data-name="Memory"/,/<\/g>/p' "$1"
}

@test "--plot: one self-contained, valid SVG whose memory line reaches the 100 MiB the job held" {
    requires_root
    requires_controller memory cpuacct
    [ -x "$JOBSHAPE" ] || skip "no jobshape built"
    run "$MCGEXEC" --rm --stats-format=json --stats="$BATS_TEST_TMPDIR/s.json" \
        --record="$BATS_TEST_TMPDIR/r.json" --plot="$BATS_TEST_TMPDIR/p.svg" -e "$(record_policy)" -- \
        sh -c "'$JOBSHAPE' sleep 1 hold 100 1 spin 1 > '$BATS_TEST_TMPDIR/out'"
    assert_success
    svg=$BATS_TEST_TMPDIR/p.svg
    if command -v xmllint >/dev/null; then
        xmllint --noout "$svg" || fail "not well-formed XML"
    elif command -v python3 >/dev/null; then
        python3 -c 'import sys, xml.dom.minidom; xml.dom.minidom.parse(sys.argv[1])' "$svg" ||
            fail "not well-formed XML"
    fi
    # nothing it would fetch or run
    ! grep -qiE '<script|href=|url\(|@import|<image|<foreignObject|<iframe|on[a-z]+=' "$svg" ||
        fail "$(grep -oiE '<script|href=|url\(|@import|<image|<foreignObject|<iframe|on[a-z]+=' "$svg" | head -3)"
    assert_equal "$(grep -o 'http[^"]*' "$svg" | sort -u)" "http://www.w3.org/2000/svg"
    # the title: the command and how it ended
    grep -q 'font-size="17"[^>]*>sh -c .*jobshape' "$svg" || fail "no title"
    grep -q ">exit 0 after " "$svg" || fail "no status line"
    # the SVG's own numbers: the peak marked within 10% of --stats', and the
    # memory line's highest point at the 90 MiB level or above, by the
    # panel's own ticks (y = a + b * value)
    memory_panel "$svg" > "$BATS_TEST_TMPDIR/mem"
    peak=$(jq -r .memory_peak_bytes "$BATS_TEST_TMPDIR/s.json")
    marked=$(sed -n 's/.*data-peak="\([^"]*\)".*/\1/p' "$BATS_TEST_TMPDIR/mem")
    awk -v m="$marked" -v p="$peak" 'BEGIN { exit !(m >= 0.9 * p && m <= 1.1 * p) }' ||
        fail "peak marked $marked, --stats $peak"
    sed -n 's/.*<line x1="[^"]*" x2="[^"]*" y1="\([^"]*\)".*data-value="\([^"]*\)".*/\1 \2/p' \
        "$BATS_TEST_TMPDIR/mem" > "$BATS_TEST_TMPDIR/ticks"
    [ "$(wc -l < "$BATS_TEST_TMPDIR/ticks")" -ge 3 ] || fail "ticks: $(cat "$BATS_TEST_TMPDIR/ticks")"
    top=$(sed -n 's/.*data-series="memory_bytes".* d="\([^"]*\)".*/\1/p' "$BATS_TEST_TMPDIR/mem" |
        grep -oE '[MV][0-9.]+ ?[0-9.]*' | awk '{ y = ($1 ~ /^M/) ? $2 : substr($1, 2); if (min == "" || y < min) min = y } END { print min }')
    awk -v top="$top" 'NR == 1 { y0 = $1; v0 = $2 } NR == 2 { y1 = $1; v1 = $2 }
        END { v = v0 + (top - y0) * (v1 - v0) / (y1 - y0); exit !(v >= 90 * 2^20) }' \
        "$BATS_TEST_TMPDIR/ticks" || fail "the memory line's top is at y $top: $(cat "$BATS_TEST_TMPDIR/ticks")"
    # the same picture from the record, later, without running anything
    run "$MCGEXEC" --plot="$BATS_TEST_TMPDIR/again.svg" --from="$BATS_TEST_TMPDIR/r.json"
    assert_success
    cmp "$svg" "$BATS_TEST_TMPDIR/again.svg" || fail "drawn again differently"
    assert_no_test_groups
}

@test "--plot: a browser draws it (headless Chromium's screenshot has the picture's own colours)" {
    requires_root
    requires_controller memory cpuacct
    [ -x "$JOBSHAPE" ] || skip "no jobshape built"
    chromium=$(command -v chromium || command -v chromium-browser) || skip "no chromium"
    command -v python3 >/dev/null || skip "no python3 to read the screenshot"
    run "$MCGEXEC" --rm --plot="$BATS_TEST_TMPDIR/p.svg" -e "$(record_policy)" -- \
        "$JOBSHAPE" sleep 0.5 hold 100 0.5 spin 0.5
    assert_success
    HOME=$BATS_TEST_TMPDIR timeout 120 "$chromium" --headless --no-sandbox --disable-gpu \
        --hide-scrollbars --window-size=960,480 --screenshot="$BATS_TEST_TMPDIR/p.png" \
        "file://$BATS_TEST_TMPDIR/p.svg" >/dev/null 2>&1 || fail "chromium failed"
    # ink, and the memory line's green and the CPU line's blue
    read -r ink colours green blue < <(python3 "$TOP/tests/tools/png_ink.py" "$BATS_TEST_TMPDIR/p.png" 2ca02c 1f77b4)
    awk -v i="$ink" 'BEGIN { exit !(i > 0.05) }' && [ "$colours" -gt 20 ] && [ "$green" -gt 100 ] &&
        [ "$blue" -gt 100 ] || fail "ink $ink, $colours colours, $green green and $blue blue pixels"
}

@test "--plot --from: what is not a record is one line and 125, and no picture" {
    echo '{"format": "something else"}' > "$BATS_TEST_TMPDIR/x.json"
    run "$MCGEXEC" --plot="$BATS_TEST_TMPDIR/x.svg" --from="$BATS_TEST_TMPDIR/x.json"
    assert_equal "$status" 125
    assert_output "mcgexec: $BATS_TEST_TMPDIR/x.json: not an mcgexec record (its \"format\" is not \"mcgexec-record\")"
    [ ! -e "$BATS_TEST_TMPDIR/x.svg" ] || fail "a picture was left"
    run "$MCGEXEC" --plot="$BATS_TEST_TMPDIR/x.svg" --from="$BATS_TEST_TMPDIR/none.json"
    assert_equal "$status" 125
    assert_output --partial "$BATS_TEST_TMPDIR/none.json"
    run "$MCGEXEC" --from="$BATS_TEST_TMPDIR/x.json"
    assert_equal "$status" 125
    assert_output --partial "give --plot=FILE.svg too"
}

@test "--stats-format=markdown: a step summary that renders as a table, with a sparkline per resource" {
    requires_root
    requires_controller memory cpuacct
    [ -x "$JOBSHAPE" ] || skip "no jobshape built"
    run "$MCGEXEC" --rm --stats-format=markdown --stats="$BATS_TEST_TMPDIR/summary.md" \
        -e "$(record_policy)" -- "$JOBSHAPE" sleep 0.5 hold 100 0.5 spin 0.5
    assert_success
    md=$BATS_TEST_TMPDIR/summary.md
    [ "$(stat -c %s "$md")" -lt $((1 << 20)) ] || fail "over GitHub's 1 MiB"
    grep -q "^### \`$JOBSHAPE sleep 0.5 hold 100 0.5 spin 0.5\`: exit 0 after " "$md" || fail "$(cat "$md")"
    # the memory row: its peak, its limit, a sparkline that rises and falls
    row=$(grep '^| Memory |' "$md")
    [[ $row == *"| peak 10"?.?" MiB \`"*"█"*"\` | 512.0 MiB |" ]] || fail "memory row: $row"
    [[ $(grep '^| CPU |' "$md") == *"█"* ]] || fail "no CPU sparkline: $(cat "$md")"
    /usr/bin/python3 -c 'import markdown' 2>/dev/null || skip "no python3-markdown to render it"
    html=$(/usr/bin/python3 -c 'import markdown, sys; print(markdown.markdown(open(sys.argv[1]).read(), extensions=["tables"]))' "$md")
    [[ $html == *"<table>"* && $html == *"<td>Memory</td>"* && $html == *"<h3>"* ]] || fail "rendered: $html"
    assert_no_test_groups
}

@test "--stats-format=openmetrics: GitLab's metrics report, which a real parser accepts" {
    requires_root
    requires_controller memory
    [ -x "$JOBSHAPE" ] || skip "no jobshape built"
    run "$MCGEXEC" --rm --stats-format=openmetrics --stats="$BATS_TEST_TMPDIR/metrics.txt" \
        -e "$(record_policy)" -- "$JOBSHAPE" hold 100 0.5
    assert_success
    m=$BATS_TEST_TMPDIR/metrics.txt
    assert_equal "$(tail -n 1 "$m")" "# EOF"
    grep -q '^mcgexec_exit_status 0$' "$m" || fail "$(cat "$m")"
    /usr/bin/python3 -c 'import prometheus_client' 2>/dev/null || skip "no python3-prometheus-client to parse it"
    run /usr/bin/python3 -c '
import sys
from prometheus_client.openmetrics.parser import text_string_to_metric_families
for f in text_string_to_metric_families(open(sys.argv[1]).read()):
    for s in f.samples:
        print(s.name, s.value)' "$m"
    assert_success
    assert_line --regexp '^mcgexec_exit_status 0(\.0)?$'
    assert_line --regexp '^mcgexec_memory_limit_bytes 536870912(\.0)?$'
    peak=$(awk '$1 == "mcgexec_memory_peak_bytes" { print $2 }' <<< "$output")
    awk -v p="$peak" 'BEGIN { exit !(p >= 90 * 2^20 && p <= 110 * 2^20) }' || fail "peak $peak"
    assert_no_test_groups
}

@test "--record: a pressure spike wakes the supervisor for a sample (PSI triggers); without triggers the record is whole too" {
    requires_root
    requires_controller cpu
    [ -x "$JOBSHAPE" ] || skip "no jobshape built"
    is_v2 || skip "pressure triggers: cgroup v2 (on v1 every record test runs without them)"
    # a CPU second under a quota of a fifth of a CPU: the job stalls
    # runnable four fifths of the time, which cpu.pressure counts
    for triggers in 1 0; do
        run env MCGEXEC_PSI_TRIGGERS=$triggers "$MCGEXEC" --rm --record="$BATS_TEST_TMPDIR/r$triggers.json" \
            -e "group '$G/job', cpu: '20%', memory: '256M'" -- "$JOBSHAPE" spin 1
        assert_success
    done
    r=$BATS_TEST_TMPDIR/r1.json
    jq -e '.series.cpu_some_s | add > 0.5' "$r" >/dev/null || fail "no CPU stall recorded: $(jq -c .series.cpu_some_s "$r")"
    if ! jq -e '.series.cpu_some_s' "$BATS_TEST_TMPDIR/r0.json" >/dev/null; then
        fail "without triggers, no pressure series"
    fi
    assert_equal "$(jq -r '[.events[] | select(.kind == "pressure")] | length' "$BATS_TEST_TMPDIR/r0.json")" 0
    [ -e /proc/pressure/cpu ] || skip "the kernel keeps no pressure (PSI off): the triggers' branch is not here"
    ev=$(jq -c '[.events[] | select(.kind == "pressure" and .detail == "cpu")] | first' "$r")
    [ "$ev" != null ] || fail "no pressure event: $(jq -c .events "$r")"
    # the sample it took is in the record: a bucket ends at the event
    jq -e --argjson t "$(jq -r .t_s <<< "$ev")" '.series.t_s | any(. - $t | fabs < 0.002)' "$r" >/dev/null ||
        fail "no bucket ends at the trigger's time $(jq -r .t_s <<< "$ev")"
    assert_no_test_groups
}

@test "--record and --plot of a job that never ran: its error and status, no samples, nothing left" {
    requires_root
    requires_controller memory
    run "$MCGEXEC" --record="$BATS_TEST_TMPDIR/r.json" --plot="$BATS_TEST_TMPDIR/p.svg" \
        -e "group '$G/job', memory: '64M'; raise 'the policy failed'" -- true
    assert_equal "$status" 125
    r=$BATS_TEST_TMPDIR/r.json
    assert_equal "$(jq -r '.status, .samples, (.events | length)' "$r" | tr '\n' ' ')" "125 0 0 "
    [[ $(jq -r .error "$r") == *"the policy failed"* ]] || fail "error: $(jq -r .error "$r")"
    grep -q '>did not run (status 125) after ' "$BATS_TEST_TMPDIR/p.svg" || fail "$(cat "$BATS_TEST_TMPDIR/p.svg")"
    assert_no_test_groups
}
