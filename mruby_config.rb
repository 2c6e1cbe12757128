# mruby build configuration for mcgexec.
#
#   rake -f MRUBY_SOURCE/Rakefile MRUBY_CONFIG=$PWD/mruby_config.rb
#
# (scripts/mruby-source.sh fetches MRUBY_SOURCE from Debian's mruby source
# package; cmake -DMCGEXEC_MRUBY_SOURCE=DIR runs this build and links
# mcgexec against its libmruby.a instead of Debian's.)
#
# The gems are those a policy relies on: mruby's default gembox as Debian
# ships it, less mruby-socket (a policy configures cgroups; sockets only
# cost start-up time) and the command-line tools except mrbc and mruby, plus
# mcgexec's own Cgroup classes (mrbgem.rake in this directory).
MRuby::Build.new do |conf|
  conf.toolchain :gcc

  conf.gembox 'stdlib'
  conf.gembox 'stdlib-ext'
  conf.gembox 'math'
  conf.gembox 'metaprog'
  conf.gem core: 'mruby-io'
  conf.gem core: 'mruby-print'

  # mrbc of the same mruby, to precompile policies (RITE bytecode), and
  # the mruby interpreter: with the gem below it runs cgroup scripts on its
  # own, which shows the gem works outside mcgexec (scripts/package.sh)
  conf.gem core: 'mruby-bin-mrbc'
  conf.gem core: 'mruby-bin-mruby'

  # the Cgroup classes
  conf.gem File.expand_path(__dir__)

  conf.cc.flags << '-O2' << '-fPIC'
end
