# group NAME [, limit: value, ...] [do ... end]: the concise form.  Its
# machinery (src/policy/mrblib/group.rb, and the tables it is built from) is
# loaded the first time a policy calls it, so a policy in mruby-cgroup
# style never pays for it.
def group(name, **limits, &block)
  Mcgexec.load_group
  Mcgexec::GroupBuilder.build(name, limits, block)
end
