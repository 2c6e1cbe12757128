# expect-status: 125
# expect: ^mcgexec: @FILE@:4: blkio.throttle.read_bps_device = "x:y 100": expected
b = Cgroup::BLKIO.new("fuzz")
b.throttle_read_bps_device = "x:y 100"
b.create
