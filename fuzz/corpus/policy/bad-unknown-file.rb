# expect-status: 125
# expect: ^mcgexec: @FILE@:5: .*cpu\.no_such_file.*
# dry-run: passes (only the kernel knows which files a group has)
c = Cgroup::CPU.new("fuzz")
c["cpu.no_such_file"] = 1
c.create
