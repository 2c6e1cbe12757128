# Sourced by scripts/vm.sh: the files of the busybox guest (v1 and v2
# layouts) into $STAGE; /init mounts the cgroup layout, runs the command
# and powers off.
mkdir -p "$STAGE"/{bin,bb,proc,sys,dev,tmp,run,etc,root}
cp "$K/busybox" "$STAGE/bin/busybox"
# scripts start with #!/bin/sh: the guest's is busybox's
ln -s busybox "$STAGE/bin/sh"
cp "$K/brd.ko" "$STAGE/brd.ko"
[ -z "$bfq" ] || cp "$K/bfq.ko" "$STAGE/bfq.ko"

for cmd in bash env cat dd timeout sleep awk gawk mawk sed grep find findmnt setpriv unshare \
           mount umount id nproc wc tr head tail sort cut mkdir rmdir rm touch chmod ln \
           readlink realpath printf date kill ls stat mktemp basename dirname seq uname cp mv \
           tee xargs expr true false test sh dash mrbc lsblk flock cmp diff od comm uniq ps \
           jq setsid pkill pgrep mkfifo getent; do
    p=$(command -v "$cmd" 2>/dev/null) || continue
    case "$p" in /*) copy_with_libs "$(readlink -f "$p")"; ;; *) continue ;; esac
    # keep the name the tests call, pointing at the real file
    real=$(readlink -f "$p")
    if [ "$real" != "$p" ]; then
        mkdir -p "$STAGE$(dirname "$p")"
        ln -sf "$real" "$STAGE$p"
    fi
done
# bats and its libraries
for d in /usr/lib/bats-core /usr/libexec/bats-core /usr/lib/bats; do
    [ -d "$d" ] && { mkdir -p "$STAGE$(dirname "$d")"; cp -a "$d" "$STAGE$d"; }
done
cp -a /usr/bin/bats "$STAGE/usr/bin/bats"
copy_tree
printf 'root:x:0:0:root:/root:/bin/bash\nnobody:x:65534:65534:nobody:/nonexistent:/bin/sh\n' > "$STAGE/etc/passwd"
printf 'root:x:0:\nnogroup:x:65534:\n' > "$STAGE/etc/group"

printf '%q ' "$@" > "$STAGE/vm-command"
cat > "$STAGE/init" <<INIT
#!/bin/busybox sh
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin:/bb
/bin/busybox --install -s /bb
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
ln -sf /proc/self/fd /dev/fd
ln -sf /proc/self/fd/0 /dev/stdin
ln -sf /proc/self/fd/1 /dev/stdout
ln -sf /proc/self/fd/2 /dev/stderr
if [ "$layout" = v2 ]; then
    mount -t cgroup2 cgroup2 /sys/fs/cgroup
else
    mount -t tmpfs cgroup /sys/fs/cgroup
    for c in cpu cpuacct cpuset memory blkio pids devices freezer; do
        mkdir -p /sys/fs/cgroup/\$c && mount -t cgroup -o \$c cgroup /sys/fs/cgroup/\$c
    done
fi
insmod /brd.ko rd_nr=1 rd_size=32768 2>/dev/null
[ ! -f /bfq.ko ] || insmod /bfq.ko || echo "vm: cannot load bfq.ko" >&2
export HOME=/root TERM=dumb MCGEXEC_TEST_BLOCKDEV=/dev/ram0 MCGEXEC_VM=$layout
cd "$TOP"
echo "MCGEXEC-VM-BOOTED"
bash /vm-command < /dev/null
echo "MCGEXEC-VM-EXIT: \$?"
poweroff -f
INIT
chmod +x "$STAGE/init"

