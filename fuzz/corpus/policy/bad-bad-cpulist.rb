# expect-status: 125
# expect: ^mcgexec: @FILE@:4: cpuset.cpus = "1-": invalid list
s = Cgroup::CPUSET.new("fuzz")
s.cpus = "1-"
s.create
