# The concise form:
#
#   group "ci/job-7" do
#     cpu    "150%"       # 1.5 CPUs of time per period
#     cpus   "0-1"
#     memory "2G"
#     pids   512
#     read_bps "/dev/vda", "50M"
#   end
#
# Each line stages a setting on a Cgroup::X object of that name (so values
# are checked, and errors reported, at that line); at the end of the block
# every object is created.  mcgexec joins the groups after the policy.
module Mcgexec
  class GroupBuilder
    DEFAULT_PERIOD = 100_000

    # CONTROLLERS ("cpu" => Cgroup::CPU, ...) and CONCISE (limit =>
    # [class, setter, takes a device?]) come from mcgexec's tables
    # (src/settings.c, the concise column): a setting given a concise name
    # there is a limit here.
    LIMITS = [:cpu] + CONCISE.keys + [:set]

    attr_reader :name

    def initialize(name)
      @name = name
      @objects = {}
    end

    # The Cgroup::X objects this group uses, in the order first used.
    def groups
      @objects.values
    end

    # CPU time as a percentage of one CPU: "50%", "150%".
    def cpu(percent, period: DEFAULT_PERIOD)
      c = object(Cgroup::CPU)
      c.cfs_period_us = period
      c.cfs_quota_us = Mcgexec.percent_quota(percent, period)
    end

    CONCISE.each do |limit, (klass, setter, device)|
      if device
        define_method(limit) do |dev, rate|
          object(klass).__send__(setter, [dev.to_s, rate])
        end
      else
        define_method(limit) { |value| object(klass).__send__(setter, value) }
      end
    end

    # Any other control file: set "memory.swappiness", 10
    def set(file, value)
      ctrl = file.to_s.split(".", 2)[0]
      klass = CONTROLLERS[ctrl]
      unless klass
        raise Cgroup::Error, "#{file.inspect} is not a file of a known controller " \
                             "(#{CONTROLLERS.keys.join(', ')})"
      end
      object(klass)[file.to_s] = value
    end

    def apply
      @objects.each_value { |o| o.create }
      self
    end

    def method_missing(name, *args, &block)
      raise NoMethodError.new("unknown limit '#{name}' in group #{@name.inspect} " \
                              "(known: #{LIMITS.join(', ')})", name)
    end

    private

    def object(klass)
      @objects[klass] ||= klass.new(@name)
    end
  end
end

# group NAME [, limit: value, ...] [do ... end]
def group(name, **limits, &block)
  b = Mcgexec::GroupBuilder.new(name)
  limits.each do |k, v|
    unless Mcgexec::GroupBuilder::LIMITS.include?(k)
      raise ArgumentError, "unknown limit '#{k}' in group #{name.inspect} " \
                           "(known: #{Mcgexec::GroupBuilder::LIMITS.join(', ')})"
    end
    args = v.is_a?(Array) ? v : [v]
    b.__send__(k, *args)
  end
  if block
    block.arity == 1 ? block.call(b) : b.instance_eval(&block)
  end
  b.apply
end
