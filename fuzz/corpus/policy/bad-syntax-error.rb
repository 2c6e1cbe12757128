# expect-status: 125
# expect: ^mcgexec: @FILE@:[56]: syntax error
c = Cgroup::CPU.new("fuzz")
c.create
c.cfs_quota_us = (50000
