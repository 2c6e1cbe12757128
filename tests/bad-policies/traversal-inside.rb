# expect-status: 125
# expect: ^mcgexec: @FILE@:3: invalid group name "@G@/../../../etc": group name has a "." or ".." component$
c = Cgroup::CPU.new("@G@/../../../etc")
c.create
