# The Cgroup classes in plain mruby (mruby_config.rb's `mruby`, or any
# build with `conf.gem "/path/to/mcgexec"`), outside mcgexec:
#
#   MCGEXEC_ROOT=self mruby tests/gem/standalone.rb NAME
#
# creates cpu group NAME below this process's own cgroup, joins it, reads
# the quota back from the kernel, leaves and removes it; then pids group
# NAME-concise with the concise form, read back and removed.  Raises on any
# difference; prints "ok" at the end.  (scripts/package.sh runs it.)
name = ARGV[0] or raise "usage: standalone.rb NAME"

def cgroup_line(ctrl)
  File.read("/proc/self/cgroup").split("\n").find do |l|
    l.split(":")[1].to_s.split(",").include?(ctrl) || l.start_with?("0::")
  end
end

cpu = Cgroup::CPU.new(name)
begin
  cpu.cfs_quota_us = 30_000
  cpu.create
  cpu.attach
  line = cgroup_line("cpu")
  raise "not in the group: #{line}" unless line.end_with?("/#{name}")
  raise "quota reads #{cpu.cfs_quota_us.inspect}" unless cpu.cfs_quota_us == 30_000
  begin
    Cgroup::CPU.new("../escape")
    raise "a name with .. was accepted"
  rescue Cgroup::Error => e
    raise "wrong message: #{e.message}" unless e.message.include?('".." component')
  end
ensure
  cpu.detach
  cpu.delete if cpu.exist?
end
raise "the group is still there" if cpu.exist?

# the concise form (its machinery loads with the gem): the group made, its
# limit read back from the kernel, then removed
pids = group("#{name}-concise", pids: 64).groups.first
begin
  raise "pids.max reads #{pids.max.inspect}" unless pids.max == 64
ensure
  pids.delete if pids.exist?
end
raise "the concise group is still there" if pids.exist?
puts "ok"
