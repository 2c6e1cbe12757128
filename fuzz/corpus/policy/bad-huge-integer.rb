# expect-status: 125
# expect: ^mcgexec: @FILE@:4: .*(RangeError|too big|out of range|overflow).*
c = Cgroup::CPU.new("fuzz")
c.cfs_quota_us = 2**80
c.create
