# expect-status: 125
# expect: ^mcgexec: @FILE@:4: memory.limit_in_bytes = "12 parsecs": invalid size
m = Cgroup::MEMORY.new("fuzz")
m.limit_in_bytes = "12 parsecs"
m.create
