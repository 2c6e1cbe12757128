# expect-status: 125
# expect: ^mcgexec: @FILE@:3: wrong number of arguments \(given 0, expected 1\) \(ArgumentError\)$
m = Cgroup::MEMORY.new
m.create
