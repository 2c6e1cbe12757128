#!/bin/sh
# Run one CI step under the limits of job.rb, with a per-job group that is
# removed afterwards, a time limit, and a JSON report of what it used.
#
#   run-step.sh COMMAND [ARG...]
#
#   MCGEXEC           the binary (default: mcgexec on PATH)
#   MCGEXEC_POLICY    the policy (default: job.rb next to this script)
#   MCGEXEC_REPORT    where the report goes (default: mcgexec-report.json)
#   MCGEXEC_FORMAT    its format: json (default), markdown (a step summary),
#                     openmetrics (GitLab's metrics report), text
#   MCGEXEC_RECORD    where the record of the step over time goes, and its
#                     picture beside it (FILE.json: FILE.svg); none if unset
#   MCGEXEC_TIMEOUT   the step's time limit (default: 30m)
#
# The step's exit status is passed through (124 on timeout, 137 when the
# OOM killer ended it); the report says why in "status", "oom_killed" and
# "timed_out", and what the step used (cpu, memory peak, I/O, tasks).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
policy=${MCGEXEC_POLICY:-$here/job.rb}
if [ -n "${MCGEXEC_RECORD:-}" ]; then
    set -- --record="$MCGEXEC_RECORD" --plot="${MCGEXEC_RECORD%.json}.svg" "$policy" -- "$@"
else
    set -- "$policy" -- "$@"
fi
exec "${MCGEXEC:-mcgexec}" --rm --timeout "${MCGEXEC_TIMEOUT:-30m}" \
    --stats-format="${MCGEXEC_FORMAT:-json}" --stats="${MCGEXEC_REPORT:-mcgexec-report.json}" \
    "$@"
