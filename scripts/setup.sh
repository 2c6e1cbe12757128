#!/bin/sh
# Install what mcgexec needs to build and test, from Debian 12's packages
# (ruby and rake drive mruby's own build; libmruby-dev is Debian's mruby for
# -DMCGEXEC_MRUBY=system; libc6-dev has libc.a for -DMCGEXEC_STATIC=ON;
# strace stalls a run at one system call in tests/concurrency.bats;
# tests/record.bats checks --plot's SVG with xmllint and draws it in
# headless chromium; python3-markdown and python3-prometheus-client parse
# --stats-format=markdown and openmetrics; bc does scripts/bench-record.sh's
# sums; stress-ng is scripts/load.sh's busy machine),
# and any extra packages named as arguments (scripts/check.sh adds clang
# and valgrind); then the mruby source that mruby_config.rb builds, Debian's
# mruby source package unpacked in deps/mruby (scripts/mruby-source.sh).
# Idempotent: does nothing (not even apt-get update) when all are present.
set -eu
cd "$(dirname "$0")/.."

PACKAGES="gcc libc6-dev make cmake pkg-config ruby rake dpkg-dev libmruby-dev mruby libcgroup-dev \
libjansson-dev libsystemd-dev bats bats-assert bats-support util-linux coreutils findutils gawk jq procps python3 strace \
libxml2-utils chromium python3-markdown python3-prometheus-client bc stress-ng $*"

missing=""
for p in $PACKAGES; do
    dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed$' ||
        missing="$missing $p"
done
if [ -z "$missing" ]; then
    [ -f deps/mruby/Rakefile ] || exec scripts/mruby-source.sh deps/mruby
    exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
    echo "setup: missing packages:$missing (run as root to install them)" >&2
    exit 1
fi
echo "setup: installing$missing" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing >/dev/null
[ -f deps/mruby/Rakefile ] || exec scripts/mruby-source.sh deps/mruby
