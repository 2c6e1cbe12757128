# expect-status: 125
# expect: ^mcgexec: @FILE@:4: cpu.cfs_quota_us = -7: .*
c = Cgroup::CPU.new("fuzz")
c.cfs_quota_us = -7
c.create
