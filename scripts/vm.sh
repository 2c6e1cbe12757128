#!/bin/bash
# Boot Debian's kernel under qemu with the cgroup layout of choice, run a
# command from this source tree inside it, and exit with that command's
# status.
#
#   scripts/vm.sh [--v2|--v1|--systemd|--slurm] [--bfq] [--timeout SECONDS] [--] COMMAND [ARG...]
#
# v2 (default): cgroup_no_v1=all, cgroup2 mounted at /sys/fs/cgroup.
# v1: one v1 hierarchy per controller under /sys/fs/cgroup.
# --bfq (v1 and v2): the BFQ I/O scheduler's module is loaded, so the
# kernel has blkio.bfq.weight (v1) and io.bfq.weight (v2): the I/O weight's
# branch that hosts without BFQ never take.
# The guest is an initramfs holding busybox, bash, bats, the host binaries
# the tests use (with their libraries) and this tree at its own path; brd
# gives it a block device, /dev/ram0.  Software emulation only (no KVM).
#
# systemd: Debian 12's systemd as PID 1 on cgroup v2, as every modern
# distribution boots.  The root file system is built once from Debian's
# packages with debootstrap (cached in build/vm/systemd-VERSION) and booted
# as the initramfs, with this tree at its own path and its mcgexec on PATH;
# COMMAND runs as root from the tree's root in a service of its own,
# mcgexec-vm.service, then the guest powers off.
#
# slurm: the systemd guest plus a one-node Slurm cluster (Debian 12's
# slurmctld, slurmd and munge; cgroup/v2, proctrack/cgroup, task/cgroup),
# a separate root file system (build/vm/slurm-VERSION) so that the plain
# systemd guest stays small; COMMAND runs once the node is idle.
#
# Exit status: COMMAND's; 77 when the VM cannot run here (no qemu and no
# way to install it, no kernel package, no debootstrap or no mirror for
# the systemd guest): callers report a skip.
set -euo pipefail

TOP=$(cd "$(dirname "$0")/.." && pwd)
CACHE=${MCGEXEC_VM_CACHE:-$TOP/build/vm}
layout=v2
bfq=
limit=1200
while [ $# -gt 0 ]; do
    case "$1" in
        --v1) layout=v1 ;;
        --v2) layout=v2 ;;
        --systemd) layout=systemd ;;
        --slurm) layout=slurm ;;
        --bfq) bfq=1 ;;
        --timeout) limit=$2; shift ;;
        --) shift; break ;;
        *) break ;;
    esac
    shift
done
[ $# -gt 0 ] || { echo "usage: $0 [--v2|--v1|--systemd|--slurm] [--bfq] [--timeout S] -- COMMAND..." >&2; exit 2; }

cannot() { echo "vm: $*" >&2; exit 77; }

# Guests may run side by side (scripts/test.sh runs two at once): what is
# made once (the packages installed, the kernel, the root file systems)
# is made under a lock, held until this guest's initramfs is written; each
# guest then boots from a directory of its own.
mkdir -p "$CACHE"
exec 9> "$CACHE/prepare.lock"
flock 9

if ! command -v qemu-system-x86_64 >/dev/null; then
    [ "$(id -u)" -eq 0 ] || cannot "qemu-system-x86_64 is not installed"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
        qemu-system-x86 >/dev/null 2>&1 || cannot "cannot install qemu-system-x86"
fi
for tool in cpio xz; do
    command -v "$tool" >/dev/null ||
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$tool" >/dev/null 2>&1 ||
        cannot "no $tool"
done

# --- kernel, busybox and brd, once per kernel version --------------------
ver=$(apt-cache depends linux-image-amd64 2>/dev/null |
      sed -n 's/.*Depends: linux-image-\(.*\)-amd64$/\1/p' | head -n 1)
[ -n "$ver" ] || cannot "no linux-image-amd64 package known to apt"
K="$CACHE/$ver"
if [ ! -s "$K/vmlinux" ] || [ ! -x "$K/busybox" ] || [ ! -f "$K/overlay.ko" ]; then
    mkdir -p "$K/dl" "$K/root"
    ( cd "$K/dl" && apt-get download -q "linux-image-$ver-amd64" busybox-static >/dev/null 2>&1 ) ||
        cannot "cannot download linux-image-$ver-amd64 and busybox-static"
    for deb in "$K"/dl/*.deb; do dpkg-deb -x "$deb" "$K/root"; done
    # The ELF vmlinux boots faster under emulation than the compressed image.
    vmlinuz=$(ls "$K"/root/boot/vmlinuz-* | head -n 1)
    off=$(LC_ALL=C grep -obUaP '\xfd7zXZ\x00' "$vmlinuz" | head -n 1 | cut -d: -f1)
    tail -c +"$((off + 1))" "$vmlinuz" | xz -dc > "$K/vmlinux" 2>/dev/null || true
    [ -s "$K/vmlinux" ] || cannot "cannot unpack $vmlinuz"
    # modules: brd (a block device, /dev/ram0), bfq (the BFQ I/O
    # scheduler, whose weights only --bfq guests load), overlay (the
    # systemd guest's container, a copy-on-write view of its own root)
    for mod in brd bfq overlay; do
        ko=$(find "$K/root/lib/modules" -name "$mod.ko*" | head -n 1)
        case "$ko" in
            *.xz) xz -dc "$ko" > "$K/$mod.ko" ;;
            *) cp "$ko" "$K/$mod.ko" ;;
        esac
    done
    cp "$K/root/bin/busybox" "$K/busybox"
    rm -rf "$K/dl" "$K/root"
fi

# --- the initramfs: rebuilt every run, the tree changes -------------------
RUN=$(mktemp -d "$CACHE/run.XXXXXX")
STAGE="$RUN/stage"
trap 'rm -rf "$STAGE" "$RUN/initrd.cpio"' EXIT

copy_with_libs() {
    local f=$1 lib
    [ -e "$f" ] || return 0
    mkdir -p "$STAGE$(dirname "$f")"
    cp -L "$f" "$STAGE$f"
    for lib in $(ldd "$f" 2>/dev/null | grep -o '/[^ ]*'); do
        [ -e "$STAGE$lib" ] && continue
        mkdir -p "$STAGE$(dirname "$lib")"
        cp -L "$lib" "$STAGE$lib"
    done
}

# the tree: what the tests read and run
copy_tree() {
    local part
    for part in build/mcgexec tests examples man src/settings/settings.c scripts completion; do
        mkdir -p "$STAGE$TOP/$(dirname "$part")"
        cp -a "$TOP/$part" "$STAGE$TOP/$part"
    done
    copy_with_libs "$TOP/build/mcgexec"
    # the systemd manager's D-Bus half and the benchmarks' timer, where
    # the build has them
    for part in mcgexec-systemd bench_interleave jobshape killat; do
        [ -x "$TOP/build/$part" ] || continue
        cp -a "$TOP/build/$part" "$STAGE$TOP/build/"
        copy_with_libs "$TOP/build/$part"
    done
}

# the guest's own files: busybox and the host's tools, or a Debian system
# with systemd
if [ "$layout" = systemd ] || [ "$layout" = slurm ]; then
    . "$TOP/scripts/vm-systemd.sh"
else
    . "$TOP/scripts/vm-busybox.sh"
fi
( cd "$STAGE" && find . -print0 | cpio --null -o -H newc --quiet ) > "$RUN/initrd.cpio"
rm -rf "$STAGE"
flock -u 9
exec 9>&-

append="console=ttyS0 panic=-1 quiet loglevel=3"
memory=1024
case $layout in
    v2) append="$append rdinit=/init cgroup_no_v1=all" ;;
    v1) append="$append rdinit=/init" ;;
    # systemd's own boot (unified is its default), nothing on the console
    # but the command's output
    systemd|slurm) append="$append rdinit=/lib/systemd/systemd systemd.show_status=0"
             memory=2048 ;;
esac

# (the run's directory goes at the end; its console log stays where the
# guest failed, which the failure names)
out="$RUN/console.log"
# An emulated kernel has, rarely, hung before the command began (seen
# once in CI: no output at all for the whole time limit, where that guest
# boots in 20 s).  A guest that has not begun the command within
# BOOT_LIMIT seconds is stopped and booted once more, which is said; a
# hang after that point is the command's and fails as before.  (The
# console passes line by line: a buffer would hold back the mark.)
BOOT_LIMIT=${MCGEXEC_VM_BOOT_LIMIT:-300}
boot() {
    timeout "$limit" qemu-system-x86_64 -accel tcg -smp 2 -m "$memory" -nodefaults -no-user-config \
        -display none -serial stdio -nic none -no-reboot \
        -kernel "$K/vmlinux" -initrd "$RUN/initrd.cpio" -append "$append" < /dev/null |
        sed -u 's/\r//g' | tee "$out" |
        grep --line-buffered -Ev '^MCGEXEC-VM-(EXIT: |BOOTED$)|^\[ *[0-9.]+\] reboot: Power down'
}
set +e
for attempt in 1 2; do
    : > "$out"
    boot &
    guest=$!
    waited=0
    while ! grep -q '^MCGEXEC-VM-BOOTED$' "$out" && kill -0 "$guest" 2>/dev/null &&
          [ "$waited" -lt "$BOOT_LIMIT" ]; do
        sleep 1
        waited=$((waited + 1))
    done
    if grep -q '^MCGEXEC-VM-BOOTED$' "$out" || ! kill -0 "$guest" 2>/dev/null; then
        wait "$guest"
        break
    fi
    echo "vm: the guest did not begin the command within ${BOOT_LIMIT}s (attempt $attempt); its console: $(tail -c 300 "$out" | tr '\n' ' ')" >&2
    pkill -TERM -P "$guest" 2>/dev/null
    wait "$guest"
done
set -e
status=$(sed -n 's/^MCGEXEC-VM-EXIT: \([0-9]*\)$/\1/p' "$out" | tail -n 1)
rm -f "$RUN/initrd.cpio"
if [ -z "$status" ]; then
    echo "vm: the guest did not report an exit status (timeout ${limit}s or crash); see $out" >&2
    exit 1
fi
rm -rf "$RUN"
exit "$status"
