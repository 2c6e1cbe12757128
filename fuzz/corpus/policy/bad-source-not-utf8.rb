# expect-status: 125
# expect: ^mcgexec: @FILE@:4: invalid UTF-8 \(byte 0xff\)
c = Cgroup::CPU.new("fuzz")
ÿþ = 1
c.create
