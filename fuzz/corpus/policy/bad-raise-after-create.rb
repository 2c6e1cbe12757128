# expect-status: 125
# expect: ^mcgexec: @FILE@:7: the policy gave up \(RuntimeError\)$
c = Cgroup::CPU.new("fuzz")
c.cfs_quota_us = 50000
c.create
c.attach
raise "the policy gave up"
