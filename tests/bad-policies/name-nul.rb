# expect-status: 125
# expect: ^mcgexec: @FILE@:3: invalid group name "@G@\\x00x": group name contains a NUL byte$
c = Cgroup::CPU.new("@G@\0x")
c.create
