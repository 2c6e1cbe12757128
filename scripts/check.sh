#!/bin/sh
# The checking builds, run by scripts/test.sh after the host suite:
#
#   1. the libFuzzer targets (fuzz/), FUZZ_SECONDS each (default 60) from
#      the seed corpus in fuzz/corpus (plus, for policies, the examples and
#      tests/bad-policies); any crash, sanitizer report, leak or timeout
#      fails;
#   2. the whole bats suite against an AddressSanitizer + UBSan build
#      (leaks included), on this host;
#   3. valgrind memcheck of the normal build on the dry-run and error paths:
#      every example and every bad policy of tests/bad-policies, plus the
#      error paths a corpus cannot reach; any error or definite leak fails.
#
# Usage: scripts/check.sh [fuzz|asan|memcheck]...   (default: all three)
# Needs clang (Debian's clang and libclang-rt-14-dev) and valgrind, which
# it installs with scripts/setup.sh.
set -eu
cd "$(dirname "$0")/.."
TOP=$(pwd)
scripts/setup.sh clang libclang-rt-14-dev valgrind

steps=${*:-fuzz asan memcheck}
CHECK_DIR=${CHECK_DIR:-build-check}
FUZZ_SECONDS=${FUZZ_SECONDS:-60}
failed=0
summary=""
note() { summary="$summary$1
"; }

CC=clang BUILD_DIR="$CHECK_DIR" scripts/build.sh -DMCGEXEC_FUZZ=ON >/dev/null

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0:allocator_may_return_null=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1

for step in $steps; do
    case $step in
    fuzz)
        for target in values policy; do
            echo "--- fuzz_$target: $FUZZ_SECONDS s from fuzz/corpus/$target ---"
            # new inputs go to a scratch copy: the tree stays as it is; the
            # policy seeds also take every example and every bad policy
            cp -r "fuzz/corpus/$target" "$work/$target"
            if [ "$target" = policy ]; then
                for f in examples/*.rb examples/*/*.rb tests/bad-policies/*.rb; do
                    sed 's/@G@/fuzz/g' "$f" > "$work/policy/$(echo "$f" | tr / -)"
                done
                # and each Ruby snippet that tests/runtime.bats runs
                sed -n "/<<'RUBY'/,/^RUBY/p" tests/runtime.bats | sed '1d;$d' |
                    awk -v d="$work/policy" 'NF { print > (d "/runtime-" NR ".rb") }'
            fi
            # an allocation above 512 MiB fails (mruby raises NoMemoryError)
            # instead of counting against the fuzzer's memory limit
            if (cd "$work" && ASAN_OPTIONS="$ASAN_OPTIONS:max_allocation_size_mb=512" \
                    "$TOP/$CHECK_DIR/fuzz_$target" -max_total_time="$FUZZ_SECONDS" \
                    -timeout=10 -rss_limit_mb=4096 -print_final_stats=1 \
                    "$work/$target" > "$work/$target.log" 2>&1); then
                runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$work/$target.log")
                note "fuzz_$target: passed ($runs inputs in $FUZZ_SECONDS s)"
            else
                tail -60 "$work/$target.log"
                # the input itself, so that a CI log is enough to reproduce
                for f in "$work"/crash-* "$work"/leak-* "$work"/timeout-* "$work"/oom-* "$work"/slow-unit-*; do
                    [ -f "$f" ] || continue
                    echo "--- $(basename "$f") (cat -v, first 60 lines) ---"
                    cat -v "$f" | head -60
                    echo "--- end of input ---"
                done
                note "fuzz_$target: FAILED (see above)"
                failed=1
            fi
        done
        ;;
    asan)
        echo "--- the bats suite against the ASan + UBSan build ---"
        # (the random SIGKILLs of tests/reclaim.bats: 50 of each kind find
        # a memory error as well as the 200 the plain suite counts on)
        if MCGEXEC="$TOP/$CHECK_DIR/mcgexec" MCGEXEC_KILL_RUNS=${MCGEXEC_KILL_RUNS:-50} bats tests/; then
            note "ASan + UBSan suite: passed"
        else
            note "ASan + UBSan suite: FAILED"
            failed=1
        fi
        ;;
    memcheck)
        echo "--- valgrind memcheck: dry-run and error paths ---"
        # a dynamic build: valgrind replaces malloc only there, and a
        # static binary's leaks would go unseen (the default build's mruby)
        BUILD_DIR=build-dynamic
        BUILD_DIR=$BUILD_DIR scripts/build.sh -DMCGEXEC_STATIC=OFF \
            -DMCGEXEC_MRUBY_BUILD_DIR="$TOP/build/mruby" >/dev/null
        n=0 bad=0
        # valgrind -q prints only what it finds, as "==PID==" lines
        vg() {
            n=$((n + 1))
            valgrind -q --leak-check=full --errors-for-leak-kinds=definite \
                --show-leak-kinds=definite "$TOP/$BUILD_DIR/mcgexec" "$@" \
                > "$work/vg.out" 2> "$work/vg.err" || true
            if grep -q '^==[0-9]*==' "$work/vg.err"; then
                echo "memcheck: mcgexec $*"
                cat "$work/vg.err"
                bad=$((bad + 1))
            fi
        }
        for f in examples/*.rb examples/*/*.rb tests/bad-policies/*.rb fuzz/corpus/policy/*.rb; do
            vg -n "$f" -- true
        done
        # error paths that change things first, then roll back (--root
        # self: below this script's own cgroup, unique names)
        if [ "$(id -u)" -eq 0 ]; then
            g="mcgcheck-$$"
            vg --root self -e "c = Cgroup::CPU.new('$g'); c.create; c.attach; raise 'stop'" -- true
            vg --root self -e "c = Cgroup::CPU.new('$g'); c.cfs_quota_us = -7; c.create" -- true
            vg --root self --rm -e "c = Cgroup::CPU.new('$g'); c.create; c.attach" -- \
                /nonexistent/command
            vg --root self --rm --stats-format=json -e "c = Cgroup::MEMORY.new('$g'); c.create; c.attach" -- true
            vg --user no-such-user-xyz -e '' -- true
            # each of those cleans up after itself; make sure
            for rel in $(awk -F: '{ print $3 }' /proc/self/cgroup | sort -u); do
                for d in /sys/fs/cgroup/*"$rel"/"$g" /sys/fs/cgroup"$rel"/"$g"; do
                    if [ -d "$d" ]; then
                        echo "memcheck: $d was left behind"
                        rmdir "$d"
                        bad=$((bad + 1))
                    fi
                done
            done
        fi
        vg /nonexistent/policy.rb -- true
        vg -e 'x = ' -- true
        vg --timeout=nonsense -e '' -- true
        vg -e '' -- /nonexistent/command
        if [ "$bad" -eq 0 ]; then
            note "valgrind memcheck: passed ($n runs, no errors, no definite leaks)"
        else
            note "valgrind memcheck: FAILED ($bad of $n runs)"
            failed=1
        fi
        ;;
    *)
        echo "check.sh: unknown step '$step' (fuzz, asan, memcheck)" >&2
        exit 2
        ;;
    esac
done

printf '\n%s' "$summary"
exit "$failed"
