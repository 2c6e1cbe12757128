# expect-status: 125
# expect: ^mcgexec: @FILE@:4: cpu.cfs_period_us = .*
c = Cgroup::CPU.new("fuzz")
c.cfs_period_us = 1e300
c.create
