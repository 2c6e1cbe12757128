# expect-status: 125
# expect: ^mcgexec: @FILE@:4: undefined method 'cfs_quota=' for Cgroup::CPU \(NoMethodError\)$
c = Cgroup::CPU.new("fuzz")
c.cfs_quota = 50000
c.create
