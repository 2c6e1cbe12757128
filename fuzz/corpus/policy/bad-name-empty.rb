# expect-status: 125
# expect: ^mcgexec: @FILE@:3: invalid group name "": empty group name$
c = Cgroup::CPU.new("")
c.create
