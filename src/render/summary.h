/* The --stats report in the formats CI systems show: Markdown for a
 * step's summary ($GITHUB_STEP_SUMMARY, a merge request note), with a
 * sparkline per resource where a record was taken, and OpenMetrics text
 * for GitLab's metrics report (artifacts:reports:metrics).  Both are drawn
 * from the report's JSON object (man mcgexec, JSON REPORT) and the record
 * (RECORD), so they know nothing of a run. */
#ifndef MCGEXEC_SUMMARY_H
#define MCGEXEC_SUMMARY_H

#include <jansson.h>
#include <stdio.h>

/* `report` as a Markdown section; `record` (or NULL) adds the sparklines
 * and the events.  Well under GitHub's 1 MiB for one step. */
void mcg_summary_markdown(FILE *out, const json_t *report, const json_t *record);

/* `report` as OpenMetrics text (gauges, one family a figure, "# EOF"). */
void mcg_summary_openmetrics(FILE *out, const json_t *report);

#endif
