# expect-status: 125
# expect: ^mcgexec: @FILE@:5: pids.max = 64 was set on group @G@ after its create and never written: call modify after setting it \(or set it before create\)$
p = Cgroup::PIDS.new("@G@")
p.create
p.max = 64
