# Writes patches/mruby/0002-define-with-presym.patch: every call in mruby's
# C sources that defines a method, constant, alias, class or module by a
# string literal becomes the *_id form of the same function with the
# literal's compile-time symbol (MRB_SYM and friends), as upstream mruby
# writes them after 3.1.0.  The string forms look the name up in the
# presym table at run time (a binary search, a memcmp per step) for every
# definition, each time a VM opens; the *_id forms get the same symbol as a
# constant.
#
#   ruby patches/mruby/presym-defines.rb MRUBY_TREE > patches/mruby/0002-define-with-presym.patch
#
# MRUBY_TREE: Debian's mruby with the series' earlier patches applied
# (deps/mruby).  Only functions whose string form is exactly its *_id form
# after mrb_intern_cstr are rewritten (mrb_undef_method is not: its string
# form skips the respond_to check of mrb_undef_method_id), and only names
# the presym macros can spell; anything else is left as it was.
require 'tmpdir'
require 'fileutils'

tree = ARGV.fetch(0) { abort "usage: #{$0} MRUBY_TREE" }
top = File.expand_path('../..', __dir__)

# Operators by the names MRB_OPSYM takes: the table of this mruby's own
# presym generator
load File.join(tree, 'lib', 'mruby', 'presym.rb')
OPERATORS = MRuby::Presym::OPERATORS

def symbol_macro(name)
  return "MRB_OPSYM(#{OPERATORS[name]})" if OPERATORS.key?(name)
  case name
  when /\A[A-Za-z_]\w*\z/ then "MRB_SYM(#{name})"
  when /\A([A-Za-z_]\w*)\?\z/ then "MRB_SYM_Q(#{$1})"
  when /\A([A-Za-z_]\w*)!\z/ then "MRB_SYM_B(#{$1})"
  when /\A([A-Za-z_]\w*)=\z/ then "MRB_SYM_E(#{$1})"
  end
end

# function => the number of arguments before the name (after mrb)
FUNCTIONS = {
  'mrb_define_method' => 1, 'mrb_define_class_method' => 1,
  'mrb_define_singleton_method' => 1, 'mrb_define_module_function' => 1,
  'mrb_define_const' => 1, 'mrb_define_class' => 0, 'mrb_define_module' => 0,
  'mrb_define_class_under' => 1, 'mrb_define_module_under' => 1,
}.freeze

# one argument before the name: a variable or an expression with at most one
# call in it (mrb_class_get(mrb, "Integer")), as in every call rewritten
ARG = /[^,()"]+(?:\([^()]*\))?[^,()"]*/
CALL = /\b(#{FUNCTIONS.keys.join('|')})(\s*\(\s*mrb\s*,)((?:\s*#{ARG},){0,1}?)(\s*)"((?:[^"\\]|\\.)*)"/

def rewrite(text)
  text.gsub(CALL) do
    fn, open, before, space, name = $1, $2, $3, $4, $5
    macro = symbol_macro(name)
    if macro && before.count(',') == FUNCTIONS[fn]
      "#{fn}_id#{open}#{before}#{space}#{macro}"
    else
      $&
    end
  end
end

# the aliases: two names
ALIAS = /\bmrb_define_alias(\s*\(\s*mrb\s*,\s*#{ARG},\s*)"((?:[^"\\]|\\.)*)"(\s*,\s*)"((?:[^"\\]|\\.)*)"/
def rewrite_alias(text)
  text.gsub(ALIAS) do
    open, a, comma, b = $1, $2, $3, $4
    ma, mb = symbol_macro(a), symbol_macro(b)
    ma && mb ? "mrb_define_alias_id#{open}#{ma}#{comma}#{mb}" : $&
  end
end

# The symbol macros live in mruby/presym.h (under MRB_NO_PRESYM, as in the
# mrbc that mruby builds first, they intern the name at run time as before)
def with_presym_header(text)
  return text if text.match?(%r{^#include [<"]mruby/presym\.h[>"]})
  last = text.rindex(/^#include [<"]mruby[^\n]*\n/) or abort "#{$0}: no mruby include to follow"
  eol = text.index("\n", last) + 1
  text.dup.insert(eol, "#include <mruby/presym.h>\n")
end

# The C sources this build compiles: the core and the gems mruby_config.rb
# lists (with what they depend on, which are among them).
gems = File.read(File.join(top, 'mruby_config.rb')).scan(/conf\.gem core: '([\w-]+)'/).flatten
files = Dir[File.join(tree, 'src', '*.c')] +
        gems.flat_map { |g| Dir[File.join(tree, 'mrbgems', g, 'src', '*.c')] }

Dir.mktmpdir do |tmp|
  FileUtils.mkdir_p(%w[a b].map { |d| File.join(tmp, d) })
  files.sort.each do |f|
    rel = f.delete_prefix("#{tree}/")
    old = File.read(f)
    new = rewrite_alias(rewrite(old))
    next if new == old
    new = with_presym_header(new)
    %w[a b].each { |d| FileUtils.mkdir_p(File.dirname(File.join(tmp, d, rel))) }
    File.write(File.join(tmp, 'a', rel), old)
    File.write(File.join(tmp, 'b', rel), new)
    # the same patch from the same tree, whenever it is written
    File.utime(0, 0, File.join(tmp, 'a', rel), File.join(tmp, 'b', rel))
  end
  Dir.chdir(tmp) { $stdout.write(`diff -ruN a b`) }
end
