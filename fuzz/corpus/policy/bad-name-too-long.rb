# expect-status: 125
# expect: ^mcgexec: @FILE@:3: invalid group name .*longer than 255 bytes$
c = Cgroup::CPU.new("fuzz" + "x" * 300)
c.create
