#!/bin/sh
# The ways mcgexec is shipped, each built and tried for real (run by
# scripts/test.sh):
#
#   deb     cpack -G DEB of the default (static) build; ldd must call the
#           binary "not a dynamic executable"; the package is installed
#           with apt-get on this machine, `mcgexec --version` and an
#           installed example policy are run from the installed files, and
#           the package is removed;
#   dynamic -DMCGEXEC_STATIC=OFF; ldd must list libc and libm only, and it
#           runs a policy;
#   mruby   libmruby built from Debian's mruby source package with
#           mruby_config.rb (scripts/mruby-source.sh); the host suite runs
#           against that mcgexec, and the plain `mruby` of the same build
#           runs tests/gem/standalone.rb (the gem outside mcgexec).
#
# Usage: scripts/package.sh [deb|dynamic|mruby]...   (default: all three)
# Needs root for the deb step (apt-get) and for the policies it runs.
set -eu
cd "$(dirname "$0")/.."
TOP=$(pwd)
steps=${*:-deb dynamic mruby}
failed=0
summary=""
note() { summary="$summary$1
"; }

# A real policy, examples/ci-job.rb: cpu, memory and pids groups below this
# script's own cgroup, removed afterwards (--rm).  COMMAND must find itself
# in the job's memory group.
try_policy() { # MCGEXEC POLICY
    out=$(MCGEXEC_ROOT=self CI_JOB_ID="package-$$" "$1" --rm "$2" -- cat /proc/self/cgroup) ||
        return 1
    printf '%s\n' "$out" | grep -E '^[0-9]+:(.*,)?memory(,.*)?:|^0::'
    printf '%s\n' "$out" | grep -Eq '^[0-9]+:(.*,)?memory(,.*)?:.*/ci/job-package-'"$$"'$|^0::.*/ci/job-package-'"$$"'$'
}

# The checkout's examples/ci-job.rb, copied where only root can write: as
# root, mcgexec refuses a policy below directories others may write, and a
# checkout's parents are not ours to judge.
private_example() {
    private=$(mktemp -d)
    cp examples/ci-job.rb "$private/ci-job.rb"
    echo "$private/ci-job.rb"
}

for step in $steps; do
    case $step in
    deb)
        echo "--- Debian package ---"
        scripts/setup.sh dpkg-dev file
        dir=build-deb
        BUILD_DIR=$dir scripts/build.sh -DCMAKE_INSTALL_PREFIX=/usr -DMCGEXEC_STATIC=ON >/dev/null
        (cd "$dir" && rm -f mcgexec_*.deb && cpack -G DEB >/dev/null)
        deb=$(ls "$dir"/mcgexec_*.deb)
        dpkg-deb -f "$deb" Package Version Depends
        ok=1
        ldd "$dir/mcgexec" 2>&1 | grep -q "not a dynamic executable" ||
            { echo "the default build is not static"; ok=0; }
        if dpkg-query -W mcgexec >/dev/null 2>&1; then
            echo "package.sh: mcgexec is already installed here; not touching it" >&2
            ok=0
        else
            DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$TOP/$deb" >/dev/null
            /usr/bin/mcgexec --version || ok=0
            [ -f /usr/share/man/man1/mcgexec.1.gz ] || { echo "no man page installed"; ok=0; }
            [ -f /usr/share/bash-completion/completions/mcgexec ] || { echo "no completion installed"; ok=0; }
            try_policy /usr/bin/mcgexec /usr/share/doc/mcgexec/examples/ci-job.rb || ok=0
            DEBIAN_FRONTEND=noninteractive apt-get remove -y -qq --purge mcgexec >/dev/null
            [ ! -e /usr/bin/mcgexec ] || { echo "mcgexec still installed after removal"; ok=0; }
        fi
        if [ "$ok" = 1 ]; then
            note "deb: passed ($(basename "$deb"): static, installed, --version and examples/ci-job.rb ran, removed)"
        else
            note "deb: FAILED"
            failed=1
        fi
        ;;
    dynamic)
        echo "--- dynamically linked build (-DMCGEXEC_STATIC=OFF) ---"
        dir=build-dynamic
        BUILD_DIR=$dir scripts/build.sh -DMCGEXEC_STATIC=OFF >/dev/null
        libs=$(ldd "$dir/mcgexec" 2>&1 | awk '/=>/ { print $1 }' | sort | tr '\n' ' ' || true)
        echo "ldd: $libs"
        example=$(private_example)
        if [ "$libs" = "libc.so.6 libm.so.6 " ] && try_policy "$dir/mcgexec" "$example"; then
            note "dynamic: passed (ldd: $libs; examples/ci-job.rb ran)"
        else
            note "dynamic: FAILED"
            failed=1
        fi
        rm -rf "$(dirname "$example")"
        ;;
    mruby)
        echo "--- mcgexec on libmruby built from source with mruby_config.rb ---"
        dir=build-mruby
        if scripts/mruby-source.sh "$dir/mruby-src" &&
           BUILD_DIR=$dir scripts/build.sh -DMCGEXEC_MRUBY_SOURCE="$TOP/$dir/mruby-src" >/dev/null &&
           "$dir/mcgexec" --version &&
           MCGEXEC_ROOT=self "$dir/mruby/host/bin/mruby" tests/gem/standalone.rb "gem-$$" &&
           MCGEXEC="$TOP/$dir/mcgexec" MCGEXEC_GEMS_AT_START=1 bats tests/; then
            note "mruby from source: passed (the gem in plain mruby; host suite against mcgexec)"
        else
            note "mruby from source: FAILED"
            failed=1
        fi
        ;;
    *)
        echo "package.sh: unknown step '$step' (deb, dynamic, mruby)" >&2
        exit 2
        ;;
    esac
done

printf '\n%s' "$summary"
exit "$failed"
