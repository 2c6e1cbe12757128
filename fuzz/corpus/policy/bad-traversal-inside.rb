# expect-status: 125
# expect: ^mcgexec: @FILE@:3: invalid group name "fuzz/../../../etc": group name has a "." or ".." component$
c = Cgroup::CPU.new("fuzz/../../../etc")
c.create
