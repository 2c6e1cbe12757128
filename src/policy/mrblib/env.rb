# ENV for policies: Debian's mruby has none.  Read-only, because the
# command inherits mcgexec's environment as it is.
module Mcgexec
  class Environment
    include Enumerable

    def [](name)
      Mcgexec.getenv(name.to_s)
    end

    def fetch(name, *default, &block)
      value = self[name]
      return value if value
      return block.call(name) if block
      return default[0] unless default.empty?
      raise KeyError, "key not found: #{name.to_s.inspect}"
    end

    def key?(name)
      !self[name].nil?
    end
    alias include? key?
    alias has_key? key?
    alias member? key?

    def to_h
      h = {}
      Mcgexec.environ.each do |kv|
        k, v = kv.split("=", 2)
        h[k] = v || ""
      end
      h
    end
    alias to_hash to_h

    def each(&block)
      to_h.each(&block)
      self
    end

    def keys
      to_h.keys
    end

    def values
      to_h.values
    end

    def []=(name, value)
      raise RuntimeError, "ENV is read-only in a policy"
    end

    def inspect
      to_h.inspect
    end
  end
end

# another mruby build may have its own ENV (mruby-env): keep it
ENV = Mcgexec::Environment.new unless Object.const_defined?(:ENV)
