# expect-status: 125
# expect: ^mcgexec: @FILE@:3: Integer cannot be converted to String \(TypeError\)$
c = Cgroup::CPU.new(42)
c.create
