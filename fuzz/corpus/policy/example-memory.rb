# The classic: an 8 KiB memory limit, so the command is OOM-killed
# (exit status 137) as soon as it touches memory.
#
#   sudo mcgexec --root self examples/memory.rb -- sh -c 'echo unreachable'
m = Cgroup::MEMORY.new("mcgexec-example-memory")
m.limit_in_bytes = "8k"
m.create
