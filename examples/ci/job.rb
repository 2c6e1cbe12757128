# The limits of one CI job step: 2 CPUs, 4 GiB of memory, 1024 tasks,
# in a group of its own named after the job (CI_JOB_ID, set by GitLab CI;
# CUSTOM_ENV_CI_JOB_ID in a custom executor's run_exec; GITHUB_RUN_ID on
# GitHub), so that parallel jobs never share a group.
job = ENV["CI_JOB_ID"] || ENV["CUSTOM_ENV_CI_JOB_ID"] || ENV["GITHUB_RUN_ID"] ||
      Mcgexec.unique("job")

group "ci/#{job}" do
  cpu    "200%"
  memory "4G"
  pids   1024
end
