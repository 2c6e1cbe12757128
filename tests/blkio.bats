#!/usr/bin/env bats
# blkio: the kernel holds a direct read of a file to the throttle rate.

load helpers

# DISK (MAJ:MIN) and DATA (6 MiB to read with O_DIRECT): a file on the disk
# under the test directory, or the device MCGEXEC_TEST_BLOCKDEV itself (the
# test VM's ram disk, where the tree lives in memory).
requires_disk() {
    if [ -n "${MCGEXEC_TEST_BLOCKDEV:-}" ]; then
        [ -b "$MCGEXEC_TEST_BLOCKDEV" ] || skip "$MCGEXEC_TEST_BLOCKDEV is not a block device"
        DISK=$(printf '%d:%d' "0x$(stat -c %t "$MCGEXEC_TEST_BLOCKDEV")" \
                              "0x$(stat -c %T "$MCGEXEC_TEST_BLOCKDEV")")
        DATA=$MCGEXEC_TEST_BLOCKDEV
        return 0
    fi
    DISK=$(disk_of "$BATS_TEST_TMPDIR") || skip "no block device under $BATS_TEST_TMPDIR"
    case "$DISK" in 0:*) skip "$BATS_TEST_TMPDIR is not on a block device";; esac
    DATA=$BATS_TEST_TMPDIR/data
    dd if=/dev/zero of="$DATA" bs=1M count=6 oflag=direct status=none 2>/dev/null ||
        skip "no O_DIRECT on $BATS_TEST_TMPDIR"
}

# The device node of DISK.
disk_node() {
    local n
    n=/dev/$(sed -n 's/^DEVNAME=//p' "/sys/dev/block/$DISK/uevent" 2>/dev/null)
    [ -b "$n" ] && echo "$n"
}

# Seconds (with fraction) to read the test file with O_DIRECT under policy $1.
timed_read() {
    "$MCGEXEC" "$1" -- sh -c 'a=$(date +%s.%N); dd if="$0" of=/dev/null bs=256k count=24 iflag=direct status=none || exit 1; b=$(date +%s.%N); echo "$a $b" | awk "{ printf \"%.2f\", \$2 - \$1 }"' "$DATA"
}

@test "read_bps 2 MiB/s holds a 6 MiB O_DIRECT read to ~3 s (within 20%)" {
    requires_root
    requires_controller blkio
    requires_disk
    p=$(policy <<EOF2
b = Cgroup::BLKIO.new("$G")
b.throttle_read_bps_device = "$DISK 2097152"
b.create
EOF2
)
    run timed_read "$p"
    assert_success
    # 6 MiB at 2 MiB/s = 3.0 s; 20% either way on the rate
    awk -v t="$output" 'BEGIN { r = 6 / t; exit !(r >= 1.6 && r <= 2.4) }' ||
        fail "read took ${output}s: $(awk -v t="$output" 'BEGIN { printf "%.2f", 6 / t }') MiB/s, limit 2 MiB/s"
    check_value blkio blkio.throttle.read_bps_device "$DISK 2097152" \
        io.max "$DISK rbps=2097152 wbps=max riops=max wiops=max"
}

@test "a device path and units work in place of MAJ:MIN and bytes" {
    requires_root
    requires_controller blkio
    requires_disk
    node=$(disk_node) || skip "no device node for $DISK"
    run "$MCGEXEC" -e "b = Cgroup::BLKIO.new('$G')
b.throttle_read_bps_device = '$node 4M'
b.throttle_write_bps_device = ['$node', '1M']
b.throttle_read_iops_device = '$DISK 500'
b.throttle_write_iops_device = '$DISK 250'
b.create
puts b.throttle_read_bps_device, b.throttle_write_bps_device, b.throttle_read_iops_device, b.throttle_write_iops_device" -- true
    assert_success
    assert_equal "${lines[0]}" "$DISK 4194304"
    assert_equal "${lines[1]}" "$DISK 1048576"
    assert_equal "${lines[2]}" "$DISK 500"
    assert_equal "${lines[3]}" "$DISK 250"
}

@test "a path that is not a block device is named before the kernel" {
    requires_root
    requires_controller blkio
    run "$MCGEXEC" -e "b = Cgroup::BLKIO.new('$G'); b.throttle_read_bps_device = '/dev/null 1M'; b.create" -- true
    assert_equal "$status" 125
    assert_output 'mcgexec: -e:1: blkio.throttle.read_bps_device = "/dev/null 1M": not a block device'
    assert_no_test_groups
}
