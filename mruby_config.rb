# The mruby that mcgexec embeds: mruby's own build configuration.
#
#   cmake -S . -B build        (runs this build into build/mruby)
#
# CMake runs mruby's rake build with this file when it configures the tree
# (scripts/build.sh), from the mruby source in deps/mruby
# (scripts/mruby-source.sh, run by scripts/setup.sh: Debian's mruby source
# package) or from -DMCGEXEC_MRUBY_SOURCE=DIR, and links mcgexec against
# the libmruby.a it writes.  Every gem listed here is defined when the VM
# opens, before the policy runs: what a policy can use is this list.  To
# give policies another gem, add a line here with its reason, rebuild,
# list it in the README and the man page (GEMS), and record what the VM now
# defines (build/test_gems --write-shape tests/unit/vm-shape.txt, which
# the unit tests hold the VM to).
#
# mcgexec's own classes (Cgroup, Mcgexec, the `group` form, ENV) are not a
# gem in this build: CMake compiles them with mcgexec, so that the checking
# builds instrument them (src/policy/policy.c).  mrbgem.rake makes them a gem for
# any other mruby.
MRuby::Build.new do |conf|
  conf.toolchain :gcc

  # the compiler: policies are Ruby source
  conf.gem core: 'mruby-compiler'
  # mrbc of this mruby: compiles src/policy/mrblib at build time, and policies to
  # bytecode for those who want to skip the parse (`mrbc -o p.mrb p.rb`)
  conf.gem core: 'mruby-bin-mrbc'

  # the core classes as Ruby programmers know them
  conf.gem core: 'mruby-string-ext'    # String#ljust, start_with?, each_line, % ...
  conf.gem core: 'mruby-array-ext'     # Array#dig, sum, each_slice's base, product ...
  conf.gem core: 'mruby-hash-ext'      # Hash#dig, fetch_values, to_h with a block ...
  conf.gem core: 'mruby-numeric-ext'   # Integer#clamp, digits, pow ...
  conf.gem core: 'mruby-range-ext'     # Range#first(n), sum, cover? ...
  conf.gem core: 'mruby-symbol-ext'    # Symbol#length, Symbol.all_symbols ...
  conf.gem core: 'mruby-enum-ext'      # Enumerable#each_slice, group_by, sum, min_by ...
  conf.gem core: 'mruby-compar-ext'    # Comparable#clamp
  conf.gem core: 'mruby-object-ext'    # Object#tap, then, NilClass#to_a ...
  conf.gem core: 'mruby-kernel-ext'    # Integer(), Float(), caller, __method__ ...
  conf.gem core: 'mruby-proc-ext'      # Proc#curry, lambda?, Kernel#proc ...
  conf.gem core: 'mruby-class-ext'     # Module#name, Class#subclasses ...
  conf.gem core: 'mruby-toplevel-ext'  # public/private/include at a policy's top level
  conf.gem core: 'mruby-enumerator'    # each.with_index, each_slice without a block
  conf.gem core: 'mruby-fiber'         # what enumerators run on (next, peek)
  conf.gem core: 'mruby-metaprog'      # send, instance_variable_get, define_singleton_method

  # values a policy computes
  conf.gem core: 'mruby-sprintf'       # format, sprintf, String#% for sizes and names
  conf.gem core: 'mruby-struct'        # Struct for a table of jobs and their limits
  conf.gem core: 'mruby-math'          # Math.log2 and friends (weights are logarithmic)
  conf.gem core: 'mruby-rational'      # exact ratios: 1.quo(3), 3r
  conf.gem core: 'mruby-pack'          # Array#pack, String#unpack for binary files
  conf.gem core: 'mruby-time'          # Time.now for unique names and logs
  conf.gem core: 'mruby-random'        # rand, for spreading jobs over CPUs

  # the system, read-mostly
  conf.gem core: 'mruby-io'            # File.read/exist? (/proc/meminfo, config files), $stderr
  conf.gem core: 'mruby-print'         # p, puts, print
  conf.gem core: 'mruby-sleep'         # sleep, while a policy waits for a device

  # Left out on purpose: mruby-socket (a policy configures cgroups, it
  # does not talk to the network), mruby-exit (exit would leave mcgexec
  # without undoing the run: a policy raises instead), mruby-eval and
  # mruby-binding (code from strings), mruby-objectspace, mruby-complex,
  # mruby-cmath, mruby-method, mruby-enum-lazy, and the tools (mirb,
  # mruby, strip, debugger).

  # Start-up: mruby 3.1 clears its whole method cache on every method it
  # defines, the largest single cost of opening the VM (README, Start-up).
  # A policy runs briefly and calls few methods: it does without the cache.
  conf.cc.defines << 'MRB_NO_METHOD_CACHE'

  # mruby's own flags otherwise (-O3); -fPIC because Debian builds
  # position-independent executables.  CMake adds MRB_USE_DEBUG_HOOK for
  # the fuzzing build (fuzz/fuzz_policy.c counts instructions with it).
  conf.cc.flags << '-fPIC'
  conf.cc.defines.concat ENV['MCGEXEC_MRUBY_DEFINES'].split if ENV['MCGEXEC_MRUBY_DEFINES']
  # and -flto with fat objects where mcgexec is optimised at link time
  # (CMake's MCGEXEC_LTO)
  conf.cc.flags.concat ENV['MCGEXEC_MRUBY_FLAGS'].split if ENV['MCGEXEC_MRUBY_FLAGS']
end
