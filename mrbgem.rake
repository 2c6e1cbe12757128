# The Cgroup classes of mcgexec as an mrbgem: Cgroup::CPU, CPUACCT, CPUSET,
# BLKIO, MEMORY and PIDS with the mruby-cgroup API, on cgroup v1 and v2,
# plus the concise `group` form and the Mcgexec helpers.
#
# In any mruby build configuration:
#
#   conf.gem "/path/to/mcgexec"            # this directory
#
# Outside mcgexec the classes change the system directly, as mruby-cgroup
# does: group names resolve under $MCGEXEC_ROOT ("self" or a path) if set,
# else under each hierarchy's root (on a cgroup v2 host that systemd runs,
# below a scope of systemd's, as mcgexec does: man mcgexec, SYSTEMD);
# nothing is rolled back.
# (mcgexec itself compiles these sources into its own binary: see mruby_config.rb).
MRuby::Gem::Specification.new('mruby-mcgexec') do |spec|
  spec.license = 'see the mcgexec source tree'
  spec.authors = 'the mcgexec developers'
  spec.summary = 'cgroup v1/v2 classes with the mruby-cgroup API (from mcgexec)'

  # The engine of mcgexec, without its command line, supervisor and exec.
  spec.objs = %w[policy/policy policy/policystate policy/cgroup_class policy/unwritten
                 settings/convert settings/settings settings/v1v2 settings/v1v2_weight
                 core/run core/hierarchy core/cgroupfs core/systemd core/manager core/join
                 core/undo core/runstate core/reclaim core/groupfile core/guard
                 base/values base/error base/mounts base/unitname base/subprocess].map do |f|
    objfile("#{build_dir}/src/#{f}")
  end
  spec.cc.include_paths << "#{dir}/src"
  spec.rbfiles = Dir.glob("#{dir}/src/policy/mrblib/*.rb").sort
  spec.cc.defines << 'MCGEXEC_GEM'
  spec.cc.flags << '-std=gnu11'

  # what src/policy/mrblib and policies written for mcgexec rely on
  %w[mruby-string-ext mruby-array-ext mruby-hash-ext mruby-enum-ext
     mruby-kernel-ext mruby-object-ext mruby-sprintf].each do |g|
    spec.add_dependency g, core: g
  end
end
