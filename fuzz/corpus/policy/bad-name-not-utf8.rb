# expect-status: 125
# expect: ^mcgexec: @FILE@:3: invalid group name "fuzz\\xff\\xfe": group name is not valid UTF-8$
c = Cgroup::CPU.new("fuzz\xff\xfe")
c.create
