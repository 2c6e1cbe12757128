/* --plot=FILE.svg: a record (man mcgexec, RECORD) drawn as one
 * self-contained SVG: no script, no external font, image or link, so that
 * a CI artifact viewer and a browser show it as it is.  The command, its
 * status and wall time as the title; one panel per resource the record
 * has on a shared time axis (CPU in cores with the quota, memory with the
 * limit and high and the peak marked, I/O rate, stall time, tasks with
 * their limit); OOM kills, the timeout and the kill marked where they
 * happened.  It knows nothing of a run: a record in, a picture out. */
#ifndef MCGEXEC_PLOT_H
#define MCGEXEC_PLOT_H

#include <jansson.h>
#include <stdio.h>

#include "base/error.h"

/* Draw `record` (a parsed record object) into `out`; -1 with err where
 * the record is not one (its format, its version, a series of the wrong
 * length). */
int mcg_plot(const json_t *record, FILE *out, struct mcg_error *err);

/* --plot=SVG --from=RECORD: read the record file, draw it into svg. */
int mcg_plot_file(const char *record_path, const char *svg_path, struct mcg_error *err);

#endif
