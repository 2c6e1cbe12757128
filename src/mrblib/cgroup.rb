# Ruby half of the Cgroup module: what is simpler to say in Ruby than in C.
module Cgroup
  # mruby's own message lacks the receiver; policies deserve
  # "undefined method 'quota=' for Cgroup::CPU".  A method of one of
  # mruby's gems is not missing: they load on first use (src/gems.c).
  def method_missing(name, *args, **keywords, &block)
    if Mcgexec.__load_gems(name) && respond_to?(name, true)
      return Mcgexec.__call_again(self, name, args, keywords, block)
    end
    raise NoMethodError.new("undefined method '#{name}' for #{self.class}", name)
  end

  def inspect
    "#<#{self.class} #{group_name}>"
  end

  class CPU
    # The CPUACCT group of the same name, as in mruby-cgroup.
    def cpuacct
      @cpuacct ||= Cgroup::CPUACCT.new(group_name)
    end
  end
end

module Mcgexec
  # A call made again by src/gems.c once deferred code has loaded: here in
  # Ruby, because mruby's C API cannot pass keyword arguments on.
  def self.__call_again(receiver, name, args, keywords, block)
    if keywords.nil? || keywords.empty?
      receiver.__send__(name, *args, &block)
    else
      receiver.__send__(name, *args, **keywords, &block)
    end
  end
end
