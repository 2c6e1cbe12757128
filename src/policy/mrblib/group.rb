# The concise form:
#
#   group "ci/job-7" do
#     cpu    "150%"       # 1.5 CPUs of time per period
#     cpus   "0-1"
#     memory "2G"
#     pids   512
#     read_bps "/dev/vda", "50M"
#     io     weight: 500
#   end
#
# Each line stages a setting on a Cgroup::X object of that name (so values
# are checked, and errors reported, at that line); at the end of the block
# every object is created.  mcgexec joins the groups after the policy.
module Mcgexec
  class GroupBuilder
    DEFAULT_PERIOD = 100_000

    # CONTROLLERS ("cpu" => Cgroup::CPU, ...) and CONCISE come from
    # mcgexec's tables (src/settings/settings.c, the concise column): a setting named
    # "memory" there is the limit `memory VALUE`, one named "memory high" its
    # keyword `memory high: VALUE`.  CONCISE maps each limit to its forms,
    # {nil => [class, setter, takes a device?], high: [...], ...}.
    LIMITS = ([:cpu] + CONCISE.keys + [:set]).uniq

    attr_reader :name

    # group NAME [, limit: value, ...] [do ... end] (src/policy/mrblib/concise.rb)
    def self.build(name, limits, block)
      b = new(name)
      limits.each do |k, v|
        unless LIMITS.include?(k)
          raise ArgumentError, "unknown limit '#{k}' in group #{name.inspect} " \
                               "(known: #{LIMITS.join(', ')})"
        end
        if v.is_a?(Hash)
          b.__send__(k, **v)      # io: {weight: 500}
        else
          b.__send__(k, *(v.is_a?(Array) ? v : [v]))
        end
      end
      if block
        block.arity == 1 ? block.call(b) : b.instance_eval(&block)
      end
      b.apply
    end

    def initialize(name)
      @name = name
      @objects = {}
    end

    # The Cgroup::X objects this group uses, in the order first used.
    def groups
      @objects.values
    end

    # CPU time as a percentage of one CPU: "50%", "150%"; the keywords of
    # the table's "cpu ..." rows (burst:, idle:) with it or alone.
    def cpu(percent = nil, period: DEFAULT_PERIOD, **keywords)
      if percent
        c = object(Cgroup::CPU)
        c.cfs_period_us = period
        c.cfs_quota_us = Mcgexec.percent_quota(percent, period)
      end
      apply_keywords(:cpu, keywords)
    end

    CONCISE.each do |limit, forms|
      next if limit == :cpu
      define_method(limit) do |*args, **keywords|
        if forms[nil] && (!args.empty? || keywords.empty?)
          apply_form(limit, forms[nil], args)
        elsif !args.empty? || keywords.empty?
          raise ArgumentError, "#{limit} takes keywords only (#{keywords_of(limit)})"
        end
        apply_keywords(limit, keywords)
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

    # One value, or a device and a value ([device, value] in a keyword).
    def apply_form(limit, (klass, setter, device), args)
      if device
        args = args[0] if args.size == 1 && args[0].is_a?(Array)
        unless args.size == 2
          raise ArgumentError, "#{limit} takes a device and a value"
        end
        object(klass).__send__(setter, [args[0].to_s, args[1]])
      else
        raise ArgumentError, "#{limit} takes one value" unless args.size == 1
        object(klass).__send__(setter, args[0])
      end
    end

    def apply_keywords(limit, keywords)
      keywords.each do |key, value|
        form = (CONCISE[limit] || {})[key]
        unless key && form
          raise ArgumentError, "unknown keyword '#{key}' for #{limit} in group " \
                               "#{@name.inspect} (known: #{keywords_of(limit)})"
        end
        apply_form(limit, form, [value])
      end
      self
    end

    def keywords_of(limit)
      keys = (CONCISE[limit] || {}).keys.compact
      keys = [:period] + keys if limit == :cpu
      keys.join(', ')
    end
  end
end
