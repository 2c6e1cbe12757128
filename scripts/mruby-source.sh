#!/bin/sh
# Fetch and unpack Debian's mruby source package (the version of the
# installed libmruby-dev, else the one apt would install; Debian's patches
# applied, then the project's, patches/mruby/series, each a backport of an
# upstream fix that its header names) into DIR: deps/mruby, where CMake looks by default, or any
# directory for cmake -DMCGEXEC_MRUBY_SOURCE=DIR.  scripts/setup.sh runs it.
# The system's apt configuration is not changed: a private deb-src list and
# package lists live in a scratch directory, and apt verifies the download
# against the archive's signed index as usual (that is the verification:
# see the dpkg-source step).  Needs dpkg-source
# (dpkg-dev), which setup.sh installs.
#
# Usage: scripts/mruby-source.sh DIR
set -eu
[ $# -eq 1 ] || { echo "usage: $0 DIR" >&2; exit 2; }
dest=$1
top=$(cd "$(dirname "$0")/.." && pwd)

# The project's patches not yet in the tree: each applied once, and
# recorded in DIR/.mcgexec-patches (which CMake reads).  Only a tree this
# script unpacked (it has that file) is patched.
apply_patches() {
    applied="$dest/.mcgexec-patches"
    [ -f "$applied" ] || return 0
    while read -r p; do
        [ -n "$p" ] || continue
        ! grep -qxF "$p" "$applied" || continue
        patch -d "$dest" -p1 --forward --quiet < "$top/patches/mruby/$p" ||
            { echo "mruby-source: patches/mruby/$p does not apply to $dest" >&2; exit 1; }
        echo "$p" >> "$applied"
        echo "mruby-source: applied patches/mruby/$p"
    done < "$top/patches/mruby/series"
}

if [ -f "$dest/include/mruby.h" ] && [ -f "$dest/Rakefile" ]; then
    apply_patches
    echo "mruby-source: $dest already holds an mruby tree"
    exit 0
fi

version=$(dpkg-query -W -f='${Version}' libmruby-dev 2>/dev/null ||
          apt-cache policy mruby | sed -n 's/^ *Candidate: *//p')
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
mkdir -p "$scratch/parts" "$scratch/lists/partial" "$scratch/cache/archives/partial" "$scratch/get"
# every configured Debian "deb" source, as "deb-src"
for f in /etc/apt/sources.list.d/*.sources; do
    [ -f "$f" ] || continue
    awk 'BEGIN { RS = ""; ORS = "\n\n" } /(^|\n)Types:[^\n]*deb/ { print }' "$f" |
        sed 's/^Types:.*/Types: deb-src/' > "$scratch/parts/$(basename "$f")"
done
if [ -f /etc/apt/sources.list ]; then
    sed -n 's/^deb \(.*\)/deb-src \1/p' /etc/apt/sources.list > "$scratch/parts/list.list"
fi
apt_opts="-o Dir::Etc::SourceParts=$scratch/parts -o Dir::Etc::SourceList=/dev/null
          -o Dir::State::Lists=$scratch/lists -o Dir::Cache=$scratch/cache
          -o APT::Sandbox::User=root"
# shellcheck disable=SC2086
apt-get $apt_opts update -qq
# shellcheck disable=SC2086
(cd "$scratch/get" && apt-get $apt_opts source -qq --download-only "mruby=$version")
mkdir -p "$(dirname "$dest")"
rm -rf "$dest"
# apt has checked every file it fetched (.dsc and tarballs) against the
# archive's signed Sources index; dpkg-source's own check of the
# maintainer's signature would need Debian's keyring (a large package) and
# without it prints alarming "No public key" warnings, so it is left out.
dpkg-source --no-check -x "$scratch/get"/mruby_*.dsc "$dest" >/dev/null
: > "$dest/.mcgexec-patches"
apply_patches
echo "mruby-source: Debian's mruby $version unpacked in $dest"
