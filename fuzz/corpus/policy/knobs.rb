c = Cgroup::CPU.new("fuzz/k")
c.cfs_quota_us = 50000
c.cfs_burst_us = 20000
c.idle = true
c.create
p c.idle, c.cfs_burst_us
m = Cgroup::MEMORY.new("fuzz/k")
m.high = "48M"
m.low = :max
m.min = 4096
m.swap_high = -1
m.oom_group = false
m.create
p m.high, m.low, m.min, m.swap_high, m.oom_group
p m.events, m.pressure, c.pressure
b = Cgroup::BLKIO.new("fuzz/k")
b.weight = 500
b.weight_device = ["/dev/null", 100]
b.create
p b.weight, b.pressure
group "fuzz/c", memory: "64M", io: {weight: 300} do
  memory high: "48M", low: "8M", min: 0, oom_group: true
  cpu "50%", burst: "20ms", idle: true
end
