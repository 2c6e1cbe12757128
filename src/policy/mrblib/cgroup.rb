# Ruby half of the Cgroup module: what is simpler to say in Ruby than in C.
module Cgroup
  # mruby's own message lacks the receiver; policies deserve
  # "undefined method 'quota=' for Cgroup::CPU".
  def method_missing(name, *args, &block)
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
