# expect-status: 125
# expect: ^mcgexec: @FILE@:4: cpu.cfs_quota_us = "lots": not an integer$
c = Cgroup::CPU.new("fuzz")
c.cfs_quota_us = "lots"
c.create
