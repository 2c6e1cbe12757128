# expect-status: 125
# expect: ^mcgexec: @FILE@:4: undefined method 'exit'
Cgroup::CPU.new("fuzz").create
exit 0
