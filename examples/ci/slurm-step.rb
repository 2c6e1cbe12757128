# The limits of one step of a Slurm job, below the task's cgroup Slurm made
# (job_N/step_M/user/task_K): half a CPU and 256 MiB, in a group named
# after the step.  The group is threaded, so that scancel still reaches the
# job: its CPU limit is its own, its memory limit the task cgroup's (set
# for the step, put back after).  Slurm's own limits (--mem, the CPUs it
# gave) stay above it and bound it too.  Slurm gives a task the cpuset, cpu
# and memory controllers, never pids: a pids limit here is one line naming
# it.
group "step-#{ENV.fetch('SLURM_STEP_ID') { Mcgexec.unique('step') }}" do
  cpu    "50%"
  memory "256M"
end
