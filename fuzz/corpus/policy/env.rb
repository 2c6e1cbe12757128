name = ENV["JOB"] || "fuzz"
c = Cgroup::CPU.new(name + "/" + Mcgexec.unique)
c.cfs_quota_us = Mcgexec.percent_quota("25%") if Mcgexec.dry_run?
c["cpu.shares"] = 100
c.create
p c.exist?
p ARGV
