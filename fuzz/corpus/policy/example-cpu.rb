# 20% of one CPU and half the default weight, in mruby-cgroup style.
#
#   sudo mcgexec --root self examples/cpu.rb -- sh -c 'while :; do :; done'
c = Cgroup::CPU.new("mcgexec-example-cpu")
c.cfs_period_us = 100_000
c.cfs_quota_us = 20_000
c.shares = 512
c.create
c.attach
