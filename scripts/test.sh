#!/bin/sh
# Set up, build, and run every test: the C unit tests, the bats suite on
# this host, the checking builds (scripts/check.sh: libFuzzer targets, the
# suite again under ASan + UBSan, valgrind memcheck), the ways mcgexec is
# shipped (scripts/package.sh: the .deb of the static default installed and
# removed, the dynamic build, libmruby built from source with mruby_config.rb), then the same
# bats suite inside a cgroup v2 kernel under qemu (scripts/vm.sh), and
# tests/systemd.bats, tests/rootless.bats and tests/runners.bats in a guest
# that boots systemd as PID 1.  Tests that
# need root or a controller the host lacks skip; a guest that cannot boot
# here is reported as skipped, never as passed.
#
#   MCGEXEC_VM=none      do not boot guests
#   MCGEXEC_VM="v2 v1 bfq systemd slurm"  also run the suite in a cgroup v1
#                        guest (default: v2; bfq, the I/O weight tests in v1
#                        and v2 guests with the BFQ scheduler loaded;
#                        systemd, the guest with systemd as PID 1 that runs
#                        tests/systemd.bats, rootless.bats and runners.bats;
#                        and slurm, that guest with a one-node Slurm cluster,
#                        for tests/slurm.bats)
#   MCGEXEC_CHECKS=none  skip scripts/check.sh
#   MCGEXEC_PACKAGE=none skip scripts/package.sh
#
# scripts/test.sh --quick is the developer's loop: build, the C unit tests
# and the host suite only (no apt, no checking builds, no packaging, no
# guest), a few minutes.  CI runs the whole.
#
# --load: the host suite runs on a busy machine (scripts/load.sh: stress-ng
# with CPU, memory and I/O workers, a load of about four times the CPUs),
# where no test may depend on timing.  CI (CI=true) always does;
# MCGEXEC_LOAD=none turns it off.
set -eu
began=$(date +%s)
cd "$(dirname "$0")/.."
quick=0
load=0
[ "${CI:-}" != true ] || load=1
for arg in "$@"; do
    case $arg in
        --quick) quick=1 ;;
        --load) load=1 ;;
        *) echo "usage: scripts/test.sh [--quick] [--load]" >&2; exit 2 ;;
    esac
done
[ "${MCGEXEC_LOAD:-}" != none ] || load=0
if [ "$quick" = 1 ]; then
    MCGEXEC_VM=none MCGEXEC_CHECKS=none MCGEXEC_PACKAGE=none
    [ -f deps/mruby/Rakefile ] || { echo "test.sh --quick: run scripts/setup.sh first" >&2; exit 1; }
else
    scripts/setup.sh
fi
scripts/build.sh
BUILD_DIR=${BUILD_DIR:-build}
ctest --test-dir "$BUILD_DIR" --output-on-failure

failed=0
summary=""
note() { summary="$summary$1
"; }

# step NAME COMMAND...: run one part, note whether it passed.  A CI log is
# often read from its end: a part that fails also copies what names the
# failure (bats' "not ok" lines, the check builds' own summary, sanitizer
# and fuzzer verdicts) into the summary printed last.
logs=$(mktemp -d)
trap 'rm -rf "$logs"' EXIT
logged() { # COMMAND...: run it, its output also kept; returns its status
    # (the status is caught whether or not the caller's context ignores set -e)
    { st=0; "$@" 2>&1 || st=$?; echo "$st" > "$logs/status"; } | tee "$logs/out"
    return "$(cat "$logs/status")"
}
minutes() { # since the epoch second $1, rounded
    echo $(( ($(date +%s) - $1 + 30) / 60 ))
}
step() { # (with its minutes: where CI's time goes, read from its end)
    local name=$1 t0
    t0=$(date +%s)
    shift
    if logged "$@"; then
        note "$name: passed ($(minutes "$t0") min)"
    else
        note "$name: FAILED ($(minutes "$t0") min)"
        note "$(failure_lines < "$logs/out")"
        failed=1
    fi
}
failure_lines() { # each failing bats test with its first lines of detail,
    # and every verdict line of the check builds, at most 60 lines
    awk '/^not ok / { print; more = 8; next }
         more > 0 && /^# / { print; more--; next }
         { more = 0 }
         /FAILED|^(==[0-9]+== ?)?ERROR: |Test unit written to|^SUMMARY: |runtime error: |^memcheck: |^(crash|leak|timeout|oom|slow-unit)-|Failed/' |
        head -60 | sed 's/^/    /'
}

MCGEXEC="$(pwd)/$BUILD_DIR/mcgexec"
export MCGEXEC
step "the layers of src/: nothing depends on a layer above it, no circle (scripts/callgraph.py)" python3 scripts/callgraph.py
if [ "$load" = 1 ]; then
    step "host suite, on a busy machine (scripts/load.sh)" scripts/load.sh bats tests/
else
    step "host suite" bats tests/
fi
[ "${MCGEXEC_CHECKS:-all}" = none ] ||
    step "checks (fuzzing, ASan + UBSan suite, memcheck)" scripts/check.sh
[ "${MCGEXEC_PACKAGE:-all}" = none ] ||
    step "packaging (deb, dynamic, system libmruby, the gem in a stock mruby)" scripts/package.sh

# In the guests, the files whose tests do not depend on the cgroup layout
# are left out: the emulated guest costs about 5 s a test, and these run on
# the host (and under ASan) already.
GUEST_SKIP="cli completion security runtime systemd runners slurm"
guest_files=""
for f in tests/*.bats; do
    case " $GUEST_SKIP " in *" $(basename "$f" .bats) "*) continue ;; esac
    guest_files="$guest_files $f"
done

# A guest's whole run, at most: vm.sh's own 20 min bound is for a guest
# alone, and two side by side each take longer (the v2 suite took 20 min
# in CI beside the systemd guest's 15).  It guards against a hung guest.
GUEST_LIMIT=2700

# guest LAYOUT: that guest's suite.  Its output goes to $logs/LAYOUT.out and
# its summary lines to $logs/LAYOUT.note: two guests run side by side.
guest() {
    layout=$1 status=0 t0=$(date +%s)
    {
        echo "--- the bats suite in a cgroup $layout guest (qemu, software emulation) ---"
        if [ "$layout" = systemd ]; then
            # systemd as PID 1: the delegation tests, the user manager's
            # and the CI runners' (the rest ran in the v2 guest)
            scripts/vm.sh --systemd --timeout "$GUEST_LIMIT" -- bats tests/systemd.bats tests/rootless.bats tests/runners.bats || status=$?
        elif [ "$layout" = slurm ]; then
            # a one-node Slurm cluster in the systemd guest: another
            # program's delegation
            scripts/vm.sh --slurm --timeout "$GUEST_LIMIT" -- bats tests/slurm.bats || status=$?
        elif [ "$layout" = bfq ]; then
            # the I/O weight where the BFQ scheduler is loaded, on v1 and
            # v2: the branch of the weight tests that a host without BFQ
            # (and the plain v2 guest, with io.weight) never takes; a guest
            # where BFQ did not load fails here rather than pass on another
            # branch
            bfq_weight='test -d /sys/module/bfq || { echo "bfq is not loaded"; exit 1; }
                        exec bats -f weight tests/knobs.bats'
            { scripts/vm.sh --v1 --bfq -- sh -c "$bfq_weight" &&
                scripts/vm.sh --v2 --bfq -- sh -c "$bfq_weight"; } || status=$?
        else
            # shellcheck disable=SC2086
            scripts/vm.sh --"$layout" --timeout "$GUEST_LIMIT" -- bats $guest_files || status=$?
        fi
    } > "$logs/$layout.out" 2>&1
    took="$(minutes "$t0") min"
    case $status in
        0) echo "cgroup $layout guest suite: passed ($took)" ;;
        77) echo "cgroup $layout guest suite: SKIPPED (the VM cannot run here; see above)" ;;
        *) echo "cgroup $layout guest suite: FAILED (status $status, $took)"
           failure_lines < "$logs/$layout.out" ;;
    esac > "$logs/$layout.note"
}
guests=${MCGEXEC_VM:-v2 bfq systemd slurm}
chain() { # LAYOUT...: those of them that were asked for, one after another
    for layout in "$@"; do
        case " $guests " in *" $layout "*) guest "$layout" ;; esac
    done
}
# The emulated guests leave much of the host's CPU idle (each waits on its
# own devices and timers): the plain v2 and v1 guests run beside the
# others, which nearly halves the time CI spends in guests.  Each output
# is printed whole once both are done.
chain v2 v1 &
first=$!
chain bfq systemd slurm &
second=$!
wait "$first" || true
wait "$second" || true
for layout in v2 v1 bfq systemd slurm; do
    [ -f "$logs/$layout.note" ] || continue
    cat "$logs/$layout.out"
    note "$(cat "$logs/$layout.note")"
    case $(head -n 1 "$logs/$layout.note") in *FAILED*) failed=1 ;; esac
done

note "in all: $(minutes "$began") min"
printf '\n%s' "$summary"
exit "$failed"
