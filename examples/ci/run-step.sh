#!/bin/sh
# Run one CI step under the limits of job.rb, with a per-job group that is
# removed afterwards, a time limit, and a JSON report of what it used.
#
#   run-step.sh COMMAND [ARG...]
#
#   MCGEXEC           the binary (default: mcgexec on PATH)
#   MCGEXEC_POLICY    the policy (default: job.rb next to this script)
#   MCGEXEC_REPORT    where the JSON report goes (default: mcgexec-report.json)
#   MCGEXEC_TIMEOUT   the step's time limit (default: 30m)
#
# The step's exit status is passed through (124 on timeout, 137 when the
# OOM killer ended it); the report says why in "status", "oom_killed" and
# "timed_out", and what the step used (cpu, memory peak, I/O, tasks).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
exec "${MCGEXEC:-mcgexec}" --rm --timeout "${MCGEXEC_TIMEOUT:-30m}" \
    --stats-format=json --stats="${MCGEXEC_REPORT:-mcgexec-report.json}" \
    "${MCGEXEC_POLICY:-$here/job.rb}" -- "$@"
