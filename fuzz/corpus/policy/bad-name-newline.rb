# expect-status: 125
# expect: ^mcgexec: @FILE@:3: invalid group name .*: group name contains a control character$
c = Cgroup::CPU.new("fuzz\nx")
c.create
