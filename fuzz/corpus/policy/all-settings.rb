c = Cgroup::CPU.new("fuzz/a")
c.shares = 512
c.cfs_quota_us = 50000
c.cfs_period_us = 100000
c.create
c.attach
a = Cgroup::CPUACCT.new("fuzz/a")
a.create
s = Cgroup::CPUSET.new("fuzz/a")
s.cpus = "0"
s.mems = "0"
s.create
m = Cgroup::MEMORY.new("fuzz/a")
m.limit_in_bytes = "64M"
m.soft_limit_in_bytes = "32M"
m.memsw_limit_in_bytes = "128M"
m.create
m.attach
b = Cgroup::BLKIO.new("fuzz/a")
b.throttle_read_bps_device = "8:0 1M"
b.throttle_write_iops_device = [ "/dev/null", 10 ]
b.create
p = Cgroup::PIDS.new("fuzz/a")
p.max = 64
p.create
p.attach
c.delete
