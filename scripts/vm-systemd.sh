# Sourced by scripts/vm.sh: the files of the systemd guest into $STAGE.
#
# A Debian 12 system (debootstrap --variant=minbase with systemd, dbus
# (the system bus, and a session bus for user managers: systemd-run --user),
# logind's PAM module for user managers, systemd-nspawn for a container
# with systemd inside, bats and the tools the tests use; make, sudo and
# python3-yaml for the CI runners' emulations of tests/ci), built once per
# kernel version and package list into $CACHE/systemd-$ver/root and copied
# into the initramfs each run with the tree.  systemd boots it as PID 1
# (rdinit=/lib/systemd/systemd; without /etc/initrd-release it is a normal
# boot, not an initrd), on cgroup v2.
# The command runs in mcgexec-vm.service, its output on the serial
# console, and the guest powers off after it.

ROOTFS="$CACHE/$layout-$ver"
SYSROOT="$ROOTFS/root"
PACKAGES=strace,systemd,systemd-sysv,dbus,dbus-user-session,libpam-systemd,systemd-container,bats,bats-assert,bats-support,jq,procps,util-linux,kmod,psmisc,make,sudo,python3-yaml
[ "$layout" != slurm ] || PACKAGES=$PACKAGES,slurmctld,slurmd,slurm-client,munge
if [ ! -x "$SYSROOT/lib/systemd/systemd" ] ||
   [ "$(cat "$ROOTFS/packages" 2>/dev/null)" != "$PACKAGES" ]; then
    command -v debootstrap >/dev/null ||
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap >/dev/null 2>&1 ||
        cannot "no debootstrap for the systemd guest"
    mirror=$(sed -n 's/^URIs: *\(http[^ ]*debian\)$/\1/p' /etc/apt/sources.list.d/debian.sources \
                 2>/dev/null | head -n 1)
    rm -rf "$ROOTFS"
    mkdir -p "$ROOTFS"
    echo "vm: building the $layout guest's root file system (debootstrap, once)" >&2
    debootstrap --variant=minbase \
        --include="$PACKAGES" \
        bookworm "$SYSROOT.new" "${mirror:-http://deb.debian.org/debian}" \
        > "$ROOTFS/debootstrap.log" 2>&1 ||
        cannot "debootstrap failed (see $ROOTFS/debootstrap.log)"
    # what a test guest never reads
    rm -rf "$SYSROOT.new"/var/cache/apt/* "$SYSROOT.new"/var/lib/apt/lists/* \
        "$SYSROOT.new"/usr/share/{doc,man,locale,info}
    mv "$SYSROOT.new" "$SYSROOT"
    echo "$PACKAGES" > "$ROOTFS/packages"
fi

cp -a "$SYSROOT" "$STAGE"
copy_tree
ln -sf "$TOP/build/mcgexec" "$STAGE/usr/local/bin/mcgexec"
mkdir -p "$STAGE/lib/modules"
cp "$K/brd.ko" "$K/overlay.ko" "$STAGE/"
: > "$STAGE/etc/machine-id"
echo mcgexec-vm > "$STAGE/etc/hostname"
# no login prompt on the console the command's output goes to, nothing
# that waits for a network or devices the guest does not have, and no
# tmpfs over /tmp nor a boot-time emptying of it (the tree may live there).
# logind runs: it starts the user managers of the rootless tests.
for unit in serial-getty@ttyS0.service getty@tty1.service systemd-networkd.service \
            systemd-timesyncd.service apt-daily.timer apt-daily-upgrade.timer \
            e2scrub_all.timer fstrim.timer tmp.mount; do
    ln -sf /dev/null "$STAGE/etc/systemd/system/$unit"
done

# the service account examples/systemd's units run their app as
chroot "$STAGE" useradd --system --no-create-home --shell /usr/sbin/nologin app
# the ordinary user the rootless tests run as, with a home and a login shell
chroot "$STAGE" useradd --create-home --shell /bin/bash --uid 1000 tester

mkdir -p "$STAGE/etc/tmpfiles.d"
echo 'd /tmp 1777 root root -' > "$STAGE/etc/tmpfiles.d/tmp.conf"

[ "$layout" != slurm ] || . "$TOP/scripts/vm-slurm.sh"

printf '%q ' "$@" > "$STAGE/vm-command"
cat > "$STAGE/vm-run" <<RUN
#!/bin/bash
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export HOME=/root TERM=dumb MCGEXEC_VM=systemd
cd "$TOP"
echo "MCGEXEC-VM-BOOTED"
bash /vm-command < /dev/null
echo "MCGEXEC-VM-EXIT: \$?"
RUN
chmod +x "$STAGE/vm-run"
cat > "$STAGE/etc/systemd/system/mcgexec-vm.service" <<'UNIT'
[Unit]
Description=the command scripts/vm.sh was given
After=basic.target dbus.service
Wants=dbus.service
# not in a container booted from the guest's own root (tests/systemd.bats)
ConditionVirtualization=!container
# whatever the command did, the guest ends after it
SuccessAction=poweroff-force
FailureAction=poweroff-force

[Service]
Type=oneshot
ExecStart=/vm-run
StandardOutput=tty
StandardError=inherit
TTYPath=/dev/ttyS0
TimeoutStartSec=infinity
UNIT
mkdir -p "$STAGE/etc/systemd/system/multi-user.target.wants"
ln -sf ../mcgexec-vm.service "$STAGE/etc/systemd/system/multi-user.target.wants/mcgexec-vm.service"
