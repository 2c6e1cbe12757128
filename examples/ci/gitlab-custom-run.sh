#!/bin/sh
# run_exec of a GitLab Runner custom executor (config.toml:
# [runners.custom] run_exec = "/usr/share/doc/mcgexec/examples/ci/gitlab-custom-run.sh"),
# which the runner calls once per stage as
#
#   gitlab-custom-run.sh SCRIPT_FILE STAGE
#
# The job's own script (step_script, and the build_script of older
# runners) runs under the limits of job.rb in a group named after the job
# (CUSTOM_ENV_CI_JOB_ID), with --rm, a time limit and a JSON report in the
# project directory; the runner's other stages (sources, caches,
# artifacts) run as they are.  A failing job script is reported to the
# runner as a build failure, a refusal of mcgexec's own (status 125) as a
# system failure, as the custom executor's contract asks.
#
# This script is started directly by the runner's service, so mcgexec must
# not be exec'd from it: a child of a service's main process counts as the
# service's own program (refused without Delegate=yes); run as here, it is
# a job of the runner and gets a scope of its own, bound to the runner.
set -u
script=$1 stage=$2
here=$(cd "$(dirname "$0")" && pwd)
case $stage in
    step_script | build_script)
        "${MCGEXEC:-mcgexec}" --rm --timeout "${MCGEXEC_TIMEOUT:-30m}" --stats-format=json \
            --stats="${CUSTOM_ENV_CI_PROJECT_DIR:-.}/mcgexec-report.json" \
            "${MCGEXEC_POLICY:-$here/job.rb}" -- bash "$script"
        status=$?
        ;;
    *)
        bash "$script"
        status=$?
        ;;
esac
[ "$status" -eq 0 ] && exit 0
[ "$status" -eq 125 ] && exit "${SYSTEM_FAILURE_EXIT_CODE:-1}"
exit "${BUILD_FAILURE_EXIT_CODE:-1}"
