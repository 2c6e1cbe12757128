# expect-status: 125
# expect: ^mcgexec: @FILE@:3: invalid group name "../../etc": group name has a "." or ".." component$
c = Cgroup::CPU.new("../../etc")
c.create
