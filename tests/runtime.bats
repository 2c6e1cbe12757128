#!/usr/bin/env bats
# The embedded mruby: what a policy has (the gems mruby_config.rb lists,
# all defined at start-up), and that no Ruby a policy can write ends
# mcgexec by a signal.  Every snippet below ends with status 0 (it ran) or
# 125 with one line that names the policy; nothing else is allowed.

load helpers
bats_require_minimum_version 1.5.0

# The mruby this mcgexec was built with: "mruby_config.rb" (the default) or
# "system" (-DMCGEXEC_MRUBY=system: Debian's libmruby, all its gems).
mruby_build() {
    "$MCGEXEC" --version | sed -n 's/.*mruby [0-9.]*, \([^)]*\)).*/\1/p'
}

requires_own_mruby() {
    [ "$(mruby_build)" = mruby_config.rb ] || skip "mcgexec is linked against another mruby ($(mruby_build))"
}

# never_crashes SNIPPET: dry run; status 0, or 125 with one line on stderr
# that starts with "mcgexec: -e" (where the policy failed)
never_crashes() {
    run --separate-stderr timeout 60 "$MCGEXEC" -n -e "$1" -- true
    # an ASan build (scripts/check.sh) notes each allocation it refuses
    stderr=$(printf '%s\n' "$stderr" | grep -v '^==[0-9]*==WARNING: AddressSanitizer failed to allocate' || true)
    if [ "$status" -ne 0 ] && [ "$status" -ne 125 ]; then
        fail "status $status for: $1
stderr: $stderr"
    fi
    if [ "$status" -eq 125 ]; then
        [ "$(printf '%s\n' "$stderr" | wc -l)" -eq 1 ] ||
            fail "more than one line for: $1
stderr: $stderr"
        [[ "$stderr" == "mcgexec: -e"* ]] || fail "no location for: $1
stderr: $stderr"
    fi
}

@test "the four crashes of the deferred-gem days: each runs as Ruby says" {
    run "$MCGEXEC" -n -e 'class Rational; end; p 1.quo(2)' -- true
    assert_success
    # (Debian 12's libmruby lacks the Ruby half of its gems, Rational's
    # Integer#quo among them: there it stays Float division)
    [ "$(mruby_build)" != mruby_config.rb ] || assert_line --index 0 "(1/2)"
    run "$MCGEXEC" -n -e 'Struct = 1; p "a".ljust(3)' -- true
    assert_success
    assert_line --index 0 '"a  "'
    run --separate-stderr "$MCGEXEC" -n -e 'p File.expand_path("~nosuchuser-mcg")' -- true
    assert_equal "$status" 125
    assert_equal "$stderr" "mcgexec: -e:1: user nosuchuser-mcg doesn't exist (ArgumentError)"
    run "$MCGEXEC" -n -e 'def method_missing(n, *a) = 42; p "x".ljust(3)' -- true
    assert_success
    assert_line --index 0 '"x  "'
}

@test "a policy's method_missing, respond_to? and const_missing change nothing core or gem methods do" {
    run "$MCGEXEC" -n -e '
class Object
  def method_missing(*) = :mm
  def respond_to?(*) = false
  def self.const_missing(*) = :cm
end
p [1, [2, [3]]].flatten, "ab".center(6, "*"), format("%03d", 7), [3, 1].sort.first
p [1, 2, 3].each_slice(2).to_a, Struct.new(:a).new(1).a, 10.clamp(1, 5)
p "x".nosuch, NoSuchConst' -- true
    assert_success
    assert_line --index 0 '[1, 2, 3]'
    assert_line --index 1 '"**ab**"'
    assert_line --index 2 '"007"'
    assert_line --index 3 '1'
    assert_line --index 4 '[[1, 2], [3]]'
    assert_line --index 5 '1'
    assert_line --index 6 '5'
    assert_line --index 7 ':mm'
    assert_line --index 8 ':cm'
}

@test "method_added and singleton_method_added run where a policy defines them, for def, define_method and alias" {
    # (patches/mruby/0001: mruby skips the call only where the hook is the
    # default, which does nothing)
    run "$MCGEXEC" -n -e '
class Audit
  @seen = []
  class << self
    attr_reader :seen
    def method_added(name) = @seen << name
    def singleton_method_added(name) = @seen << :"self.#{name}"
  end
  def a; end
  define_method(:b) { }
  alias_method :c, :a
  def self.d; end
end
class Quiet
  def e; end
end
module Mixin
  def self.method_added(name) = $mixin = name
  def f; end
end
p Audit.seen, Quiet.new.respond_to?(:e), $mixin' -- true
    assert_success
    assert_line --index 0 '[:"self.singleton_method_added", :a, :b, :c, :"self.d"]'
    assert_line --index 1 'true'
    assert_line --index 2 ':f'
}

@test "every gem mruby_config.rb lists is there when the policy uses it, and those it leaves out are not" {
    requires_own_mruby
    # one probe per gem: a method or constant only that gem defines (the
    # gems a policy must name to use, src/policy/gems.c, come because it does)
    declare -A probe=(
        [mruby-compiler]='1'
        [mruby-bin-mrbc]='1'
        [mruby-string-ext]='"a".ljust(2) == "a "'
        [mruby-array-ext]='[[1, [2]]].dig(0, 1, 0) == 2'
        [mruby-hash-ext]='{a: {b: 1}}.dig(:a, :b) == 1'
        [mruby-numeric-ext]='7.allbits?(3) && 5.positive?'
        [mruby-range-ext]='(1..5).first(2) == [1, 2]'
        [mruby-symbol-ext]=':abc.length == 3'
        [mruby-enum-ext]='(1..4).each_slice(2).to_a == [[1, 2], [3, 4]]'
        [mruby-compar-ext]='7.clamp(1, 3) == 3'
        [mruby-object-ext]='1.then { |x| x + 1 } == 2'
        [mruby-kernel-ext]='Integer("0x1f", 16) == 31 rescue Integer("31") == 31'
        [mruby-proc-ext]='->(a, b) { a + b }.curry[1][2] == 3'
        [mruby-class-ext]='Comparable.name == "Comparable"'
        [mruby-toplevel-ext]='respond_to?(:include, true)'
        [mruby-enumerator]='[1, 2].each.with_index(1).to_a == [[1, 1], [2, 2]]'
        [mruby-fiber]='Fiber.new { 3 }.resume == 3'
        [mruby-metaprog]='1.send(:instance_variables) == []'
        [mruby-sprintf]='format("%05.1f", 3.14159) == "003.1"'
        [mruby-struct]='Struct.new(:a).new(4).a == 4'
        [mruby-math]='Math.log2(1024) == 10'
        [mruby-rational]='1.quo(3) + 2r == 7r / 3'
        [mruby-pack]='[1, 2].pack("n*").unpack("n*") == [1, 2]'
        [mruby-time]='Time.at(0).utc.year == 1970'
        [mruby-random]='Random.new(1).rand(10).between?(0, 9)'
        [mruby-io]='File.read("/proc/self/stat").start_with?($$.to_s) && $stderr.is_a?(IO)'
        [mruby-print]='respond_to?(:puts, true)'
        # (sleep returns the whole seconds time(2) moved by: 1 where a
        # sleep of 0 straddles a second, as one did on a busy machine)
        [mruby-sleep]='sleep(0).between?(0, 1) && usleep(0) >= 0'
    )
    local gems g
    gems=$(sed -n "s/^ *conf.gem core: '\\([^']*\\)'.*/\\1/p" "$TOP/mruby_config.rb")
    [ -n "$gems" ] || fail "no gems found in mruby_config.rb"
    for g in $gems; do
        [ -n "${probe[$g]:-}" ] || fail "$g is in mruby_config.rb but has no probe here: add one"
        run "$MCGEXEC" -n -e "exit_code = (${probe[$g]}) ? 0 : 1; raise 'probe false' if exit_code != 0" -- true
        [ "$status" -eq 0 ] || fail "$g: probe failed: $output"
    done
    # left out on purpose (mruby_config.rb says why)
    run "$MCGEXEC" -n -e 'p [Object.const_defined?(:TCPSocket), respond_to?(:exit, true),
                              respond_to?(:eval, true), Object.const_defined?(:ObjectSpace),
                              Object.const_defined?(:Complex)]' -- true
    assert_success
    assert_line --index 0 '[false, false, false, false, false]'
}

@test "the gems' own edge cases never end mcgexec by a signal" {
    local s
    while IFS= read -r s; do
        [ -n "$s" ] || continue
        never_crashes "$s"
    done <<'RUBY'
p format("%-10s|%5.2f|%x|%o|%e|%b|%c", "a", 3.14159, 255, 8, 1e10, 5, 0x263a)
p format("%<a>s-%{b}", a: 1, b: 2)
format("%")
format("%d", "x")
p "%s and %p" % ["a", nil]
p format("%*d", 5, 1), format("%-*d|", 3, 1), format("%.0f", 0.5)
p format("%1$s %1$s", "a")
format("%1$s %s", "a")
S = Struct.new(:a, :b); p S.new(1, 2).to_a, S.new(1).b, S.members
Struct.new(:a).new(1, 2)
Struct.new("lower")
T = Struct.new(:a, keyword_init: true); p T.new(a: 1)
S = Struct.new(:a); p(S.new(1) == S.new(1), S.new(1).eql?(S.new(2)), S.new(1).to_h)
p [1, 2].pack("N*").unpack("N*"), ["abc"].pack("m0").unpack1("m0"), [0x263a].pack("U")
"\xff".unpack("U*")
[].pack("N")
p [1].pack("x" * 1000).size, "abc".unpack("C*"), [1.5].pack("e").unpack1("e")
["a"].pack("X")
p Time.now - Time.at(0) > 0, Time.gm(2000, 1, 1).wday, Time.at(1.5).usec
Time.at(1 << 62)
Time.local(2026, 13, 1)
Time.gm(-1 << 62)
p 1.quo(3) + 2r, 3r ** -1, 1 / 3r, Rational(3, 6), 0.75.to_r
Rational(1, 0)
p 3r ** 100, (1r / 3).round(2)
class Rational; end; p 1.quo(2)
p 5.clamp(1, 3), "b".between?("a", "c")
Class.new { include Comparable; def <=>(o) = nil }.new < 1
p [1, 2, 3].each.with_index(1).map { |x, i| x * i }
e = [1].each; e.next; e.next
p Enumerator.new { |y| y << 1; y << 2 }.to_a, [1, 2, 3].each_slice(2).to_a
e = [1, 2].each; p e.next, e.peek, e.next; p (e.next rescue :done)
p loop { raise StopIteration }
f = Fiber.new { Fiber.yield 1; 2 }; p f.resume, f.resume; f.resume
Fiber.new { Fiber.new { Fiber.yield }.resume; Fiber.yield }.resume
p (1..Float::INFINITY).each.first(3), (1..).first(2)
def f(n) = f(n + 1); f(0)
a = []; 200_000.times { a = [a] }; a.inspect
a = []; 200_000.times { a = [a] }; a.flatten
a = []; 200_000.times { a = [a] }; b = []; 200_000.times { b = [b] }; a == b
a = []; 200_000.times { a = [a] }; a.hash
h = {}; 200_000.times { h = {a: h} }; h.to_s
s = Struct.new(:x); v = nil; 200_000.times { v = s.new(v) }; v.inspect
a = []; a << a; p a, a.hash.is_a?(Integer); a.flatten
h = {}; h[:h] = h; p h
Hash.new { |h, k| h[k] = h[k + 1] }[0]
proc { |x| x.call(x) }.then { |f| f.call(f) }
"x" * (1 << 40)
"x" * (1 << 62)
[0] * (1 << 40)
Array.new(1 << 62)
"x".ljust(1 << 40)
p ("ab" * 1_000_000).size, ("a" * 100_000).to_sym.size
"x" * -1
p "abc".each_char.to_a, "a,b".split(","), "%s" % [[1]]
Struct = 1; p "a".ljust(3)
Object = nil
Comparable = 1; p 1 < 2
Cgroup = 1; raise "x"
Mcgexec = nil; group("x") { cpu "10%" }
Cgroup = nil; Mcgexec = nil; ENV = nil; ARGV = nil; p 1
class Integer; def +(o) = 0; end; p 1 + 1
class Array; def each; end; end; p [1, 2].map { |x| x }
class Object; def inspect = raise("no inspect"); end; p Object.new
class Object; def inspect = raise("no inspect"); end; Cgroup::CPU.new("x").cfs_quota_us = Object.new
class Exception; def message = raise("no message"); end; raise "y"
raise "a\0b"
raise "two\nlines"
e = RuntimeError.new("x"); e.set_backtrace(["a\0b"]); raise e
e = RuntimeError.new("x"); e.set_backtrace(["-e:99999999999999999999"]); raise e
raise RuntimeError.new("x").freeze
e = RuntimeError.new("x"); e.instance_variable_set(:@mcgexec_line, 2**62); raise e
class Exception; def message = "m\0n"; end; raise "q"
class Exception; def backtrace = raise("no backtrace"); end; raise "z"
class Cgroup::Error; def message = raise("m"); end; Cgroup::CPU.new("").create
class NoMethodError; def initialize(*) = raise("no init"); end; nosuch
class String; def to_s = 1; def inspect = 2; end; p "a"; raise "s"
class Object; undef_method :inspect; end; p Object.new
class BasicObject; def method_missing(*) = 1; end; p nosuch
String.send(:remove_method, :ljust); "a".ljust(2)
module Kernel; remove_method :raise; end; Cgroup::CPU.new("x").cfs_quota_us = "abc"
def raise(*) = 1; Cgroup::CPU.new("x").cfs_quota_us = "abc"
module Cgroup; remove_method :initialize; end; Cgroup::CPU.new("x").create
class Module; def const_missing(n) = raise("cm #{n}"); end; Nope
def Object.const_missing(n) = Cgroup::CPU; p Nope.new("x").group_name
def method_missing(n, *a) = 42; p "x".ljust(3), nosuch
def respond_to?(*a) = false; p [1, [2]].flatten, 1.respond_to?(:+)
GC.start; GC.disable; 10_000.times { "x" * 1000 }; GC.enable; GC.start
Cgroup::CPU.allocate.create
Cgroup::CPU.allocate.group_name
Cgroup::CPU.allocate.dup
c = Cgroup::CPU.new("x"); c.cfs_quota_us = 5000; d = c.dup; d.cfs_quota_us = 7000; e = c.clone; GC.start; p d, e
c = Cgroup::CPU.new("x"); c.send(:initialize, "y"); c.send(:initialize_copy, c); p c.group_name
c = Cgroup::CPU.new("x"); c.send(:initialize_copy, 1)
c = Cgroup::CPU.new("x"); c.send(:initialize_copy, Cgroup::MEMORY.allocate)
Cgroup::CPU.new(nil)
Cgroup::CPU.new("x" * 100_000).create
Cgroup::CPU.new("a\0b")
Fiber.new { Cgroup::CPU.new("x").foo }.resume
Fiber.new { Cgroup::CPU.new("x").cfs_quota_us = "abc" }.resume
[1].each { Cgroup::MEMORY.new("x").limit_in_bytes = -5 }
ARGV << 1
ENV["X"] = 1
$stdout = nil; p 1
$stderr.close; raise "closed"
STDOUT.close; p 1
IO.new(999)
IO.new(-1)
File.open("/nonexistent/file")
p File.read("/proc/self/status").size > 0, File.exist?("/"), File.basename("/a/b.rb", ".rb")
p File.expand_path("~root"), File.expand_path("~")
File.expand_path("~nosuchuser-mcg")
p IO.sysopen("/dev/null").is_a?(Integer)
IO.popen("true") { |io| p io.read }
r, w = IO.pipe; w.write("x"); w.close; p r.read
sleep(-1)
sleep(0.01)
p rand(0).class, Random.new(1).rand(1.5) < 1.5
Random.rand(-1)
Math.sqrt(-1)
p Math.log(0), 1.0 / 0, (0.0 / 0).nan?, 2 ** 100
1 << (1 << 40)
10.digits(1)
p Integer("9" * 100)
10.digits
Integer("zz")
p Symbol.all_symbols.size > 0, __method__.inspect, caller.class
Object.new.instance_eval("1")
[3, 1, 2].sort { raise "cmp" }
[1, 2].sort { nil }
x = "abc".freeze; x << "d"
p Struct.new(:a).new(1).to_h { |k, v| [v, k] }
throw :x
RUBY
}

@test "mruby's own last resort (exit(1) on an internal error) removes the groups and exits 125" {
    requires_root
    requires_controller cpu
    # mruby-struct calls mrb_bug(), which exits, on two structs of one
    # class with different sizes
    run_marked -e "c = Cgroup::CPU.new('$G'); c.create; c.attach
S = Struct.new(:a); S.allocate == S.new(1)"
    assert_equal "$status" 125
    assert_line --index 0 "bug: inconsistent struct"
    assert_line --index 1 "mcgexec: mruby stopped on an internal error (above) before COMMAND started: removed what this run had created; COMMAND not run"
    [ ! -e "$BATS_TEST_TMPDIR/ran" ]
    assert_no_test_groups
}
