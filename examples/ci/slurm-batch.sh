#!/bin/bash
# A Slurm batch script whose steps run under examples/ci/slurm-step.rb:
#
#   sbatch --mem=1G examples/ci/slurm-batch.sh
#
# Each step is `srun mcgexec ...`: the step's task is mcgexec, whose groups
# go below the task's cgroup as threaded groups, inside the job's
# allocation (Slurm's --mem above the policy's memory), and still listed in
# the task's cgroup, where scancel finds the processes to signal.  mcgexec
# stays as the step's supervisor and removes its groups when the step ends,
# so that Slurm can remove its own cgroups.  (Run directly in the batch
# script, mcgexec works the same way, but the memory limit is then that of
# the batch step's task cgroup, which also holds the script's shell.)
#SBATCH --job-name=mcgexec-example
#SBATCH --output=slurm-%j.out
set -eu
# (sbatch runs a copy of this script from its spool directory: the policy
# is where the package installs it, or MCGEXEC_POLICY)
policy=${MCGEXEC_POLICY:-/usr/share/doc/mcgexec/examples/ci/slurm-step.rb}
srun mcgexec "$policy" -- sh -c 'echo "step in $(sed -n "s/^0:://p" /proc/self/cgroup)"'
srun mcgexec "$policy" -- make -j2
