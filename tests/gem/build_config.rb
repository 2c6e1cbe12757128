# mcgexec's Cgroup classes as a gem in an mruby that is not mcgexec's: the
# stock default gembox plus this tree (mrbgem.rake), and the `mruby`
# interpreter to run tests/gem/standalone.rb with.  scripts/package.sh
# builds it:
#
#   MRUBY_CONFIG=tests/gem/build_config.rb MRUBY_BUILD_DIR=build-gem \
#       rake -f deps/mruby/Rakefile
MRuby::Build.new do |conf|
  conf.toolchain :gcc
  conf.disable_lock # no build_config.rb.lock in the tree
  conf.gembox 'default'
  conf.gem File.expand_path('../..', __dir__)
  conf.cc.flags << '-O2'
end
