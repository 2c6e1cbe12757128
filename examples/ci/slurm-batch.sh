#!/bin/bash
# A Slurm batch script whose steps run under examples/ci/slurm-step.rb:
#
#   sbatch --mem=1G examples/ci/slurm-batch.sh
#
# Each step is `srun mcgexec ...`: the step's task is mcgexec alone, whose
# groups go below the task's cgroup, inside the job's allocation (Slurm's
# --mem above the policy's memory).  mcgexec stays as the step's supervisor
# and removes its groups when the step ends, so that Slurm can remove its
# own cgroups.  (Run directly in the batch script, mcgexec would share the
# batch step's task cgroup with the script's shell, and cgroup v2 gives no
# controllers to groups below a cgroup with processes: one line says so.)
#SBATCH --job-name=mcgexec-example
#SBATCH --output=slurm-%j.out
set -eu
# (sbatch runs a copy of this script from its spool directory: the policy
# is where the package installs it, or MCGEXEC_POLICY)
policy=${MCGEXEC_POLICY:-/usr/share/doc/mcgexec/examples/ci/slurm-step.rb}
srun mcgexec "$policy" -- sh -c 'echo "step in $(sed -n "s/^0:://p" /proc/self/cgroup)"'
srun mcgexec "$policy" -- make -j2
