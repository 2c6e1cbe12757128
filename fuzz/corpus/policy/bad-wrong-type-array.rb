# expect-status: 125
# expect: ^mcgexec: @FILE@:4: memory.limit_in_bytes = \[1, 2\]: .*
m = Cgroup::MEMORY.new("fuzz")
m.limit_in_bytes = [1, 2]
m.create
