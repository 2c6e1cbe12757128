# expect-status: 125
# expect: ^mcgexec: @FILE@:3: invalid group name "fuzz\\x00x": group name contains a NUL byte$
c = Cgroup::CPU.new("fuzz\0x")
c.create
