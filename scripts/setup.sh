#!/bin/sh
# Install what mcgexec needs to build and test, from Debian 12's packages
# (libc6-dev for the static link: libc.a and libm.a),
# and any extra packages named as arguments (scripts/check.sh adds clang
# and valgrind).  Idempotent: does nothing (not even apt-get update) when
# all are present.
set -eu

PACKAGES="gcc libc6-dev make cmake pkg-config libmruby-dev mruby libcgroup-dev libjansson-dev \
bats bats-assert bats-support util-linux coreutils findutils gawk jq procps $*"

missing=""
for p in $PACKAGES; do
    dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed$' ||
        missing="$missing $p"
done
[ -z "$missing" ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
    echo "setup: missing packages:$missing (run as root to install them)" >&2
    exit 1
fi
echo "setup: installing$missing" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing >/dev/null
