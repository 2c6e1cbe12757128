#!/bin/sh
# The ways mcgexec is shipped, each built and tried for real (run by
# scripts/test.sh):
#
#   deb     cpack -G DEB of the default build (static, mruby from
#           mruby_config.rb), configured with CMake's default prefix: every
#           file must land in /usr whatever the prefix, and Debian's
#           lintian must find no error; ldd must call the binary "not a
#           dynamic executable" and only mcgexec-systemd may have
#           dependencies; it is installed with apt-get on this machine,
#           `mcgexec --version` and an installed example policy are run from
#           the installed files, and the package is removed;
#   dynamic -DMCGEXEC_STATIC=OFF; ldd must list libc and libm only, and it
#           runs a policy and a user lookup from Ruby;
#   system  -DMCGEXEC_MRUBY=system: Debian's libmruby-dev with all its
#           gems; the host suite runs against that mcgexec;
#   gem     the Cgroup classes as a gem in a stock mruby (the default
#           gembox plus mrbgem.rake, tests/gem/build_config.rb); that
#           mruby's `mruby` runs tests/gem/standalone.rb.
#
# Usage: scripts/package.sh [deb|dynamic|system|gem]...   (default: all four)
# Needs root for the deb step (apt-get) and for the policies it runs.
set -eu
cd "$(dirname "$0")/.."
TOP=$(pwd)
steps=${*:-deb dynamic system gem}
# the default build's mruby, shared: one build of mruby_config.rb
SHARED_MRUBY="-DMCGEXEC_MRUBY_BUILD_DIR=$TOP/build/mruby"
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
        scripts/setup.sh dpkg-dev file lintian attr
        dir=build-deb
        # (no -DCMAKE_INSTALL_PREFIX: the package is /usr's all the same)
        BUILD_DIR=$dir scripts/build.sh $SHARED_MRUBY >/dev/null
        (cd "$dir" && rm -f mcgexec_*.deb && cpack -G DEB >/dev/null)
        deb=$(ls "$dir"/mcgexec_*.deb)
        dpkg-deb -f "$deb" Package Version Depends
        ok=1
        outside=$(dpkg-deb -c "$deb" | awk '{ print $6 }' | grep -v -e '^\./usr/' -e '^\./$' -e '^\./usr/$' |
                  sed 's/^/  /' || true)
        [ -z "$outside" ] || { echo "files outside /usr:"; echo "$outside"; ok=0; }
        ! dpkg-deb -c "$deb" | grep -q '/usr/local' || { echo "files in /usr/local"; ok=0; }
        ! dpkg-deb -c "$deb" | awk '{ print $1 }' | grep -q '[sS]' ||
            { echo "the package holds a setuid or setgid file"; ok=0; }
        lint=$(lintian "$deb" 2>&1 | grep -v 'running with root privileges' || true)
        [ -z "$lint" ] || echo "$lint"
        ! printf '%s\n' "$lint" | grep -q '^E:' || { echo "lintian found errors"; ok=0; }
        ldd "$dir/mcgexec" 2>&1 | grep -q "not a dynamic executable" ||
            { echo "the default build is not static"; ok=0; }
        # only mcgexec-systemd, linked against libsystemd, has dependencies
        depends=$(dpkg-deb -f "$deb" Depends | sed 's/ *([^)]*)//g')
        [ "$depends" = "libc6, libsystemd0" ] || { echo "the package depends on '$depends'"; ok=0; }
        if dpkg-query -W mcgexec >/dev/null 2>&1; then
            echo "package.sh: mcgexec is already installed here; not touching it" >&2
            ok=0
        else
            DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$TOP/$deb" >/dev/null
            /usr/bin/mcgexec --version || ok=0
            [ -f /usr/share/man/man1/mcgexec.1.gz ] || { echo "no man page installed"; ok=0; }
            /usr/libexec/mcgexec/mcgexec-systemd --help | grep -q '^usage: mcgexec-systemd .*start-scope' ||
                { echo "no mcgexec-systemd installed"; ok=0; }
            # neither program is privileged: a setuid mcgexec would give
            # every user root (it refuses to run so), and mcgexec-systemd
            # asks only what its caller may ask
            command -v getfattr >/dev/null || { echo "no getfattr (attr) to check capabilities"; ok=0; }
            for f in /usr/bin/mcgexec /usr/libexec/mcgexec/mcgexec-systemd; do
                [ ! -u "$f" ] && [ ! -g "$f" ] || { echo "$f is setuid or setgid"; ok=0; }
                [ -z "$(getfattr --absolute-names -n security.capability "$f" 2>/dev/null)" ] ||
                    { echo "$f has file capabilities"; ok=0; }
            done
            [ -f /usr/share/bash-completion/completions/mcgexec ] || { echo "no completion installed"; ok=0; }
            try_policy /usr/bin/mcgexec /usr/share/doc/mcgexec/examples/ci-job.rb || ok=0
            DEBIAN_FRONTEND=noninteractive apt-get remove -y -qq --purge mcgexec >/dev/null
            [ ! -e /usr/bin/mcgexec ] || { echo "mcgexec still installed after removal"; ok=0; }
        fi
        if [ "$ok" = 1 ]; then
            note "deb: passed ($(basename "$deb"): every file in /usr, no lintian error; mcgexec static, mcgexec-systemd on libc6 and libsystemd0, neither setuid nor with capabilities; installed, --version and examples/ci-job.rb ran, removed)"
        else
            note "deb: FAILED"
            failed=1
        fi
        ;;
    dynamic)
        echo "--- dynamically linked build (-DMCGEXEC_STATIC=OFF) ---"
        dir=build-dynamic
        BUILD_DIR=$dir scripts/build.sh -DMCGEXEC_STATIC=OFF $SHARED_MRUBY >/dev/null
        libs=$(ldd "$dir/mcgexec" 2>&1 | awk '/=>/ { print $1 }' | sort | tr '\n' ' ' || true)
        echo "ldd: $libs"
        example=$(private_example)
        ok=1
        [ "$libs" = "libc.so.6 libm.so.6 " ] || ok=0
        try_policy "$dir/mcgexec" "$example" || ok=0
        out=$("$dir/mcgexec" -n -e 'p File.expand_path("~root")' -- true) || ok=0
        case $out in '"/root"'*) ;; *) echo "unexpected: $out"; ok=0 ;; esac
        if [ "$ok" = 1 ]; then
            note "dynamic: passed (ldd: $libs; examples/ci-job.rb ran; ~root from Ruby)"
        else
            note "dynamic: FAILED"
            failed=1
        fi
        rm -rf "$(dirname "$example")"
        ;;
    system)
        echo "--- mcgexec on Debian's libmruby (-DMCGEXEC_MRUBY=system) ---"
        dir=build-system
        if BUILD_DIR=$dir scripts/build.sh -DMCGEXEC_MRUBY=system >/dev/null &&
           "$dir/mcgexec" --version | grep -q "system libmruby" &&
           MCGEXEC="$TOP/$dir/mcgexec" bats tests/; then
            note "system libmruby: passed (host suite against that mcgexec)"
        else
            note "system libmruby: FAILED"
            failed=1
        fi
        ;;
    gem)
        echo "--- the Cgroup classes as a gem in a stock mruby ---"
        dir=$TOP/build-gem
        mkdir -p "$dir"
        # mruby's rake follows the .d files of our objects, which still name
        # headers that were renamed or removed: it would keep stale objects.
        # The stock gems keep their build; ours is compiled afresh.
        rm -rf "$dir/host/mrbgems/mruby-mcgexec"
        if (cd deps/mruby && MRUBY_CONFIG="$TOP/tests/gem/build_config.rb" MRUBY_BUILD_DIR="$dir" \
                rake -j"$(nproc)" > "$dir/rake.log" 2>&1) &&
           MCGEXEC_ROOT=self "$dir/host/bin/mruby" tests/gem/standalone.rb "gem-$$"; then
            note "gem: passed (tests/gem/standalone.rb in plain mruby)"
        else
            tail -20 "$dir/rake.log" 2>/dev/null || true
            note "gem: FAILED"
            failed=1
        fi
        ;;
    *)
        echo "package.sh: unknown step '$step' (deb, dynamic, system, gem)" >&2
        exit 2
        ;;
    esac
done

printf '\n%s' "$summary"
exit "$failed"
