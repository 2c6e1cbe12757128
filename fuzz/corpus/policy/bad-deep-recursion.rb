# expect-status: 125
# expect: ^mcgexec: @FILE@:[0-9]+: stack level too deep \(SystemStackError\)$
Cgroup::CPU.new("fuzz").create
def down(n)
  down(n + 1)
end
down(0)
