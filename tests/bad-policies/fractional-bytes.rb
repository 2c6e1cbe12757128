# expect-status: 125
# expect: ^mcgexec: @FILE@:4: memory.limit_in_bytes = "1.5": a size in bytes must be a whole number \(give a unit, such as 1.5K, or whole bytes\)$
m = Cgroup::MEMORY.new("@G@")
m.limit_in_bytes = "1.5"
m.create
