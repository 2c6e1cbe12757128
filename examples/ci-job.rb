# A CI build job: 1.5 CPUs, 2 GiB of memory, at most 512 processes.
#
#   sudo CI_JOB_ID=42 mcgexec examples/ci-job.rb -- make -j4
#
# Each job gets its own group under ci/, named after the job, so parallel
# jobs never share one by accident.
job = ENV.fetch("CI_JOB_ID", Mcgexec.pid.to_s)

group "ci/job-#{job}" do
  cpu    "150%"     # of one CPU
  memory "2G"
  pids   512
end
