# A call into every gem mruby_config.rb lists, for the fuzzer to mutate.
name = format("job-%03d-%s", 7, "x".ljust(3, "_"))          # sprintf, string-ext
Job = Struct.new(:name, :cpu, :mem)                          # struct
jobs = [Job.new(name, 50, "64M"), Job.new("b", 25, "32M")]
sizes = [1, [2, [3]]].flatten.each_slice(2).to_a             # array-ext, enum-ext, enumerator
h = {a: {b: 1}}.dig(:a, :b)                                  # hash-ext
r = (1..10).first(3).sum + 7.clamp(1, 5) + 12.remainder(5)   # range-ext, compar-ext, numeric-ext
w = Math.log2(1024).to_i + (1.quo(3) + 2r).to_i              # math, rational
bin = [1, 2, 258].pack("nnN").unpack("nnN")                  # pack
t = Time.at(0).utc.year + Time.now.to_i % 2                  # time
k = Random.new(42).rand(4) + rand(2)                         # random
f = Fiber.new { |x| Fiber.yield(x + 1); :done }              # fiber
f.resume(1)
e = [10, 20].each.with_index(1).map { |v, i| v * i }         # enumerator
o = 5.then { |x| x * 2 }.tap { |x| x }                       # object-ext
i = Integer("42") + Float("1.5").to_i                        # kernel-ext
c = ->(a, b) { a + b }.curry[1][2]                           # proc-ext
s = :symbol.length + Comparable.name.size                    # symbol-ext, class-ext
m = 1.send(:instance_variables).size                         # metaprog
st = File.exist?("/proc/self/status") && $stderr.is_a?(IO)    # io
p [name, sizes, h, r, w, bin, t, k, e, o, i, c, s, m, st]    # print
jobs.each do |j|
  cpu = Cgroup::CPU.new(j.name)
  cpu.cfs_quota_us = j.cpu * 1000
  cpu.create
  mem = Cgroup::MEMORY.new(j.name)
  mem.limit_in_bytes = j.mem
  mem.create
end
