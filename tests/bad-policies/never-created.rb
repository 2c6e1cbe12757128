# expect-status: 125
# expect: ^mcgexec: @FILE@:4: cpu.cfs_quota_us = 50000 was set on group @G@, which the policy never created: call create after setting it$
c = Cgroup::CPU.new("@G@")
c.cfs_quota_us = 50000
