# A CI build job: 1.5 CPUs, 2 GiB of memory, at most 512 processes.
#
#   sudo CI_JOB_ID=42 mcgexec examples/ci-job.rb -- make -j4
#
# Each job gets its own group under ci/, named after the job (or, outside
# CI, unique to this run), so parallel jobs never share one by accident.
# With --rm the group goes when the job ends:
#
#   sudo mcgexec --rm --stats examples/ci-job.rb -- make -j4
job = ENV.fetch("CI_JOB_ID") { Mcgexec.unique("run") }

group "ci/job-#{job}" do
  cpu    "150%"     # of one CPU
  memory "2G"
  pids   512
end
